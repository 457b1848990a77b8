/** What a CLI command gets: its environment, its output streams, AWS clients, and a clock (all injectable for tests). */
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { S3Client } from '@aws-sdk/client-s3';

export interface CliClients {
  sfn: SFNClient;
  doc: DynamoDBDocumentClient;
  cloudformation: CloudFormationClient;
  s3: S3Client;
}

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** created on first use from the environment unless given */
  clients?: () => CliClients;
  sleep?: (ms: number) => Promise<void>;
  /** milliseconds since the epoch, for rates and time left (default Date.now) */
  now?: () => number;
  /** DescribeExecution polling interval for --wait */
  pollMs?: number;
  /** where Ctrl-C (SIGINT) is heard while --wait follows a run (default: the process) */
  signals?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
}

/** A mistake in the command line: one line on stderr, exit code 2, nothing started. */
export class UsageError extends Error {}
/** A failure to report as one line, exit code 1. */
export class CliFailure extends Error {}

/** DescribeExecution statuses after which an execution will not change */
export const EXECUTION_ENDED: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
