/**
 * The harness of the sweep steps' unit tests (test/unit/sweep-{list,record,finish}.test.ts): mocked S3 and DynamoDB,
 * the steps' deps at a fixed time, and a target's state as the steps pass it on.
 */
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ListEvent } from '../../lib/sweep/list.ts';
import { DEFAULT_RUN_SETTINGS, emptyTotals, type TargetState } from '../../lib/sweep/state.ts';
import { doc, docMock } from './doc-mock.ts';

export { docMock };
export const s3Mock = mockClient(S3Client);
export const deps = { s3: new S3Client({ region: 'us-east-1' }), doc, tableName: 'records', now: () => new Date('2026-11-22T12:00:00Z') };
export const SWEEP_ARN = 'arn:aws:states:us-east-1:111122223333:execution:mpu-reaper-sweep-uploads:sweep-1';

/** forgets every mocked answer and call; DynamoDB then finds no item in a Query and accepts every Put */
export function resetMocks(): void {
  s3Mock.reset();
  docMock.reset();
  docMock.on(QueryCommand).resolves({ Items: [], ScannedCount: 0 });
  docMock.on(PutCommand).resolves({});
  // no checkpoint yet, and the page lease granted (lib/sweep/page-lease.ts)
  docMock.on(GetCommand).resolves({});
  docMock.on(UpdateCommand).resolves({});
  // the sweep's own record: RUNNING (a page reads it before listing and after recording)
  docMock.on(GetCommand, { Key: { id: 'sweep-1' } }).resolves({ Item: { id: 'sweep-1', recordType: 'sweep', status: 'RUNNING' } });
}

/** the state of target 0 (bucket data-a, older than 1d) of sweep-1, in its first slice */
export function state(
  overrides: Partial<TargetState> = {},
  settings: Partial<TargetState['sweep']['settings']> = {},
  sweep: Partial<TargetState['sweep']> = {},
): TargetState {
  return {
    sweep: {
      id: 'sweep-1',
      executionArn: SWEEP_ARN,
      startedAt: '2026-11-22T11:00:00.000Z',
      dryRun: false,
      measure: false,
      settings: { ...DEFAULT_RUN_SETTINGS, handoversPerPage: 2, retentionSeconds: 1000, ...settings },
      ...sweep,
    },
    target: {
      index: 0,
      bucket: 'data-a',
      prefix: '',
      olderThan: '1d',
      olderThanSeconds: 86_400,
      cutoff: '2026-11-21T12:00:00.000Z',
      expectedBucketOwner: '111122223333',
      maxUploads: 100_000,
    },
    cursor: { keyMarker: '', uploadIdMarker: '' },
    done: false,
    truncated: false,
    totals: emptyTotals(),
    seq: 0,
    slice: { execution: 'target-exec', run: 'run-1', events: 14, full: false },
    handovers: [],
    recoveries: 0,
    ...overrides,
  };
}

/** initiated long before the cutoff, and after it */
export const OLD = new Date('2026-11-01T00:00:00Z');
export const YOUNG = new Date('2026-11-22T11:59:00Z');
/** "List a page" of a new page execution (run-2), at the deps' time */
export const listEvent = (s: TargetState, run = 'run-2'): ListEvent => ({ state: s, parent: 'target-exec', run, runStartedAt: '2026-11-22T12:00:00Z' });
/** n uploads k-000… (U0…) as ListMultipartUploads answers them */
export const uploads = (n: number, initiated = OLD, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ Key: `k-${String(from + i).padStart(3, '0')}`, UploadId: `U${from + i}`, Initiated: initiated }));
