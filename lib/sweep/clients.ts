/**
 * The sweep Lambdas' clients: the process's configuration (lib/aws.ts clientConfig), with more SDK attempts than the
 * default 3. One page makes hundreds of S3 and DynamoDB calls in a single invocation; a call that fails its attempts
 * fails the whole invocation (retried by Step Functions, the page listed or recorded again).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientConfig, documentClientOf } from '../aws.ts';
import { requiredEnv } from '../env.ts';
import type { SweepDeps } from './requests.ts';

export const SWEEP_SDK_ATTEMPTS = 8;

/** the sweep functions' clients and table; destroy() closes the clients (a local stack that stops) */
export function sweepDeps(env: NodeJS.ProcessEnv = process.env): SweepDeps & { destroy(): void } {
  const config = { ...clientConfig(env), maxAttempts: SWEEP_SDK_ATTEMPTS };
  const [s3, dynamodb] = [new S3Client(config), new DynamoDBClient(config)];
  return {
    s3,
    doc: documentClientOf(dynamodb),
    tableName: requiredEnv('RECORDS_TABLE', env),
    intentsBucket: env.SWEEP_INTENTS_BUCKET || undefined,
    destroy: () => {
      s3.destroy();
      dynamodb.destroy();
    },
  };
}
