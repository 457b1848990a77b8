/**
 * lib/handler.ts (the one wrapper of functions/), the sweep functions' clients and lib/metrics.ts (the EMF both
 * outcome writers publish).
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBDocumentClient, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { documentClient, s3Client } from '../../lib/aws.ts';
import { lambdaHandler } from '../../lib/handler.ts';
import { publishOutcomes, sweepStepCounts } from '../../lib/metrics.ts';
import { SWEEP_FUNCTION } from '../../lib/sweep/clients.ts';
import { emptyTotals } from '../../lib/sweep/state.ts';

const context = { awsRequestId: 'r', functionName: 'f' } as Context;

beforeAll(() => {
  Object.assign(process.env, { RECORDS_TABLE: 'records', AWS_REGION: 'us-east-1', LOG_LEVEL: 'ERROR' });
});
afterEach(() => vi.restoreAllMocks());

/** the EMF documents written to stdout while `act` runs */
async function emf(act: () => unknown): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  await act();
  vi.restoreAllMocks();
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line));
}

describe('lambdaHandler', () => {
  it('makes the deps once, with the SDK attempts it is given, and hands them to every invocation', async () => {
    // Arrange
    const made = vi.fn((sdk: { maxAttempts?: number }) => ({ sdk }));
    const seen: unknown[] = [];
    const handler = lambdaHandler({ service: 's', sdkAttempts: 5, deps: made }, async (event: number, { deps }) => {
      seen.push(deps);
      return event + 1;
    });

    // Act
    const results = [await handler(1, context), await handler(2, context)];

    // Assert
    expect(results).toEqual([2, 3]);
    expect(made).toHaveBeenCalledTimes(1);
    expect(made).toHaveBeenCalledWith({ maxAttempts: 5 });
    expect(seen[0]).toBe(seen[1]);
  });

  it('flushes the metrics of an invocation after it when metrics are on', async () => {
    // Arrange
    const handler = lambdaHandler({ service: 'svc', metrics: true }, async (_event: unknown, { metrics }) => {
      metrics.addMetric('Things', 'Count', 2);
    });

    // Act
    const written = await emf(() => handler({}, context));

    // Assert
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ Things: 2, service: 'svc' });
    expect(JSON.stringify(written[0]._aws)).toContain('"Namespace":"MpuReaper"');
  });
});

describe("the sweep functions' clients", () => {
  it('make 8 SDK attempts (one page makes hundreds of calls), while the other functions keep the default', async () => {
    // Arrange
    const deps = SWEEP_FUNCTION.deps({ maxAttempts: SWEEP_FUNCTION.sdkAttempts });

    // Act / Assert
    expect(await deps.s3.config.maxAttempts()).toBe(8);
    expect(await deps.doc.config.maxAttempts()).toBe(8);
    expect(await s3Client().config.maxAttempts()).toBe(3);
    expect(deps.s3).not.toBe(s3Client());
    expect(deps.doc).not.toBe(documentClient());
    expect(SWEEP_FUNCTION.deps({ maxAttempts: 8 }).s3).toBe(deps.s3); // made once per process
  });
});

describe('publishOutcomes', () => {
  it('publishes UploadOutcomes per status with a count above 0, and BytesFreed of the bucket when given', async () => {
    // Arrange
    const metrics = new Metrics({ namespace: 'MpuReaper', serviceName: 'sweep' });

    // Act
    const written = await emf(() => publishOutcomes(metrics, { ABORTED: 3, FAILED: 0, NOT_FOUND: 1 }, { bucket: 'data-a', bytes: 1024 }));

    // Assert
    expect(written.map(({ _aws, ...rest }) => rest)).toEqual([
      expect.objectContaining({ Status: 'ABORTED', UploadOutcomes: 3 }),
      expect.objectContaining({ Status: 'NOT_FOUND', UploadOutcomes: 1 }),
      expect.objectContaining({ Bucket: 'data-a', BytesFreed: 1024 }),
    ]);
  });

  it('publishes no BytesFreed when none is given', async () => {
    const metrics = new Metrics({ namespace: 'MpuReaper', serviceName: 'abort-upload' });
    const written = await emf(() => publishOutcomes(metrics, { NOT_FOUND: 1 }));
    expect(written.map((document) => Object.keys(document).includes('BytesFreed'))).toEqual([false]);
  });
});

describe("abort-upload's record-outcome function", () => {
  it('publishes its outcome by status and, for an abort, the bytes freed in the bucket', async () => {
    // Arrange
    const docMock = mockClient(DynamoDBDocumentClient);
    docMock.on(UpdateCommand).resolves({});
    docMock.on(TransactWriteCommand).resolves({});
    const { handler } = await import('../../functions/record-outcome.ts');
    const run = { id: 'a'.repeat(64), bucket: 'data-a', key: 'k', uploadId: 'u', trigger: 'api', executionArn: 'arn:x', startedAt: '2026-01-01T00:00:00Z' };
    const state = { run, measure: { parts: 2, bytes: 4096 }, loop: { attempt: 0, waitSeconds: 1 }, next: 'record' };
    const invoke = (outcome: { status: string }) => handler({ ...state, outcome } as never, context);

    // Act
    const aborted = await emf(() => invoke({ status: 'ABORTED' }));
    const notFound = await emf(() => invoke({ status: 'NOT_FOUND' }));

    // Assert
    expect(aborted).toEqual([
      expect.objectContaining({ Status: 'ABORTED', UploadOutcomes: 1, service: 'abort-upload' }),
      expect.objectContaining({ Bucket: 'data-a', BytesFreed: 4096 }),
    ]);
    expect(notFound).toEqual([expect.objectContaining({ Status: 'NOT_FOUND', UploadOutcomes: 1 })]);
    // the ABORTED outcome is written with its ledger ADD in one transaction (lib/ledger.ts), the other alone
    expect(docMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(docMock.commandCalls(UpdateCommand)).toHaveLength(1);
    docMock.restore();
  });
});

describe('sweepStepCounts', () => {
  it('is what the step added to the totals, and those outcomes by status', () => {
    // Arrange
    const before = { ...emptyTotals(), aborted: 2, failed: 1, bytesFreed: 10 };
    const after = { ...emptyTotals(), aborted: 5, failed: 1, wouldAbort: 4, bytesFreed: 30 };

    // Act
    const { delta, byStatus } = sweepStepCounts(before, after);

    // Assert
    expect(delta).toMatchObject({ aborted: 3, failed: 0, wouldAbort: 4, bytesFreed: 20 });
    expect(byStatus).toMatchObject({ ABORTED: 3, FAILED: 0, WOULD_ABORT: 4 });
    expect(sweepStepCounts(undefined, after).delta.aborted).toBe(5);
  });
});
