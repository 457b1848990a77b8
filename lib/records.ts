/** The DynamoDB record of every abort run: statuses, fields, table schema, and how to read a record. */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const ABORT_STATUSES = {
  RUNNING: 'the workflow is aborting and verifying the upload',
  ABORTED: 'ListParts proved the upload empty (no parts, or NoSuchUpload) after our abort',
  NOT_FOUND: 'the upload did not exist when the run began: already aborted or completed',
  PARTS_REMAIN: 'parts were still listed after the last allowed abort; the execution failed',
  FAILED: 'S3 refused (AccessDenied, NoSuchBucket, PreconditionFailed…); error and cause say why; the execution failed',
} as const;
export type AbortStatus = keyof typeof ABORT_STATUSES;
export const TERMINAL_STATUSES: readonly AbortStatus[] = ['ABORTED', 'NOT_FOUND', 'PARTS_REMAIN', 'FAILED'];
/** statuses after which nothing is left to free */
export const SUCCESS_STATUSES: readonly AbortStatus[] = ['ABORTED', 'NOT_FOUND'];

export interface AbortRecord {
  id: string;
  bucket: string;
  key: string;
  uploadId: string;
  status: AbortStatus;
  attempts: number;
  partsFound?: number;
  bytesFound?: number;
  trigger: string;
  executionArn: string;
  startedAt: string;
  finishedAt?: string;
  error?: string;
  cause?: string;
  expiresAt: number;
}

/** The table as the local stack creates it; serverless.yml declares the same keys. */
export function recordsTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  };
}

/** A record as the API and the CLI show it: the state machine writes "" for "no error"; readers drop it. */
export function presentRecord(item: Record<string, unknown>): AbortRecord {
  const record = { ...item } as Record<string, unknown>;
  for (const field of ['error', 'cause']) if (record[field] === '') delete record[field];
  return record as unknown as AbortRecord;
}

export async function getRecord(doc: DynamoDBDocumentClient, tableName: string, id: string): Promise<AbortRecord | undefined> {
  const { Item } = await doc.send(new GetCommand({ TableName: tableName, Key: { id }, ConsistentRead: true }));
  return Item ? presentRecord(Item) : undefined;
}
