/**
 * Mocked S3 and DynamoDB clients and the inputs the lib/abort-run.ts unit tests share: one upload, the run's settings,
 * a PrepareRunEvent, S3 errors and parts as the SDK returns them.
 */
import { mockClient } from 'aws-sdk-client-mock';
import { ListPartsCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PrepareRunEvent, RunDeps } from '../../lib/abort-run.ts';
import { parseAllowlist } from '../../lib/allowlist.ts';
import type { AbortRequest } from '../../lib/validation.ts';

export const s3Mock = mockClient(S3Client);
export const docMock = mockClient(DynamoDBDocumentClient);
export const deps = (allowed = '*'): RunDeps => ({
  doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  s3: new S3Client({ region: 'us-east-1' }),
  tableName: 'records',
  allowlist: parseAllowlist(allowed),
});

export const ARN = 'arn:aws:states:us-east-1:111122223333:execution:mpu-reaper-abort-upload:abort-1';
export const UPLOAD: AbortRequest = { bucket: 'data-lake', key: 'a/b.bin', uploadId: 'VXBsb2FkIElE' };
export const SETTINGS = { firstWaitSeconds: 5, maxWaitSeconds: 60, maxAbortAttempts: 6, retentionSeconds: 90 * 86_400 };
export const event = (input: unknown): PrepareRunEvent => ({ input, executionArn: ARN, startTime: '2026-11-20T10:00:00.123Z', settings: SETTINGS });
export const s3Error = (name: string, status: number, message = name) =>
  new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message });
export const parts = (sizes: number[], first = 1) => sizes.map((Size, i) => ({ PartNumber: first + i, Size }));

/** every test starts from: no record, the claim written, an upload of two parts */
export function resetMocks(): void {
  s3Mock.reset();
  docMock.reset();
  docMock.on(UpdateCommand).resolves({});
  docMock.on(GetCommand).resolves({});
  s3Mock.on(ListPartsCommand).resolves({ Parts: parts([5, 7]), IsTruncated: false });
}
