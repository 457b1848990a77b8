/**
 * "Record the page" and its neighbours (lib/sweep/record.ts), with mocked clients: each upload's outcome from the page's
 * answers, the counting, the hand-overs, resuming from a checkpoint.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { settledOutcome, unsettledOutcome } from '../../lib/sweep/outcomes.ts';
import { countHandovers, recordPage, resumeTarget, type RecordPageEvent } from '../../lib/sweep/record.ts';
import { checkpointId, emptyTotals } from '../../lib/sweep/state.ts';
import { recordId } from '../../lib/record-id.ts';
import type { Page, PageAnswers } from '../../lib/sweep/page.ts';
import { deps, docMock, state, SWEEP_ARN, resetMocks } from '../support/sweep-steps.ts';

beforeEach(() => {
  resetMocks();
});

describe("the outcome of an upload from the page's answers", () => {
  const answers = (a: string, v: string, a2?: string, v2?: string): PageAnswers => ({
    aborted: [a],
    verified: { answers: [v], kinds: [v] },
    ...(a2 ? { abortedAgain: [a2] } : {}),
    ...(v2 ? { verifiedAgain: [v2] } : {}),
  });

  it.each([
    ['gone before the first abort', answers('gone', 'gone'), { status: 'NOT_FOUND', attempts: 1 }],
    ['aborted, then ListParts: NoSuchUpload', answers('sent', 'gone'), { status: 'ABORTED', attempts: 1 }],
    ['an abort whose answer was lost, then NoSuchUpload', answers('S3.S3Exception', 'gone'), { status: 'ABORTED', attempts: 1 }],
    ['parts, a second abort answered NoSuchUpload', answers('sent', 'parts', 'gone', '-'), { status: 'ABORTED', attempts: 2 }],
    ['parts, a second abort, then NoSuchUpload', answers('sent', 'parts', 'sent', 'gone'), { status: 'ABORTED', attempts: 2 }],
  ])('%s → %j', (_, given, outcome) => {
    expect(settledOutcome(given, 0)).toMatchObject(outcome);
  });

  it.each([
    ['parts after two aborts', answers('sent', 'parts', 'sent', 'parts'), { status: 'PARTS_REMAIN', attempts: 2 }],
    ['an empty upload after two aborts', answers('sent', 'empty', 'sent', 'empty'), { status: 'PARTS_REMAIN' }],
    ['a refused second abort', answers('S3.S3Exception', 'parts', 'S3.S3Exception', 'parts'), { status: 'FAILED', error: 'S3Exception' }],
    ['a failing check', answers('sent', 'parts', 'sent', 'S3.NoSuchBucketException'), { status: 'FAILED', error: 'NoSuchBucket' }],
  ])('not proven gone: %s → %j', (_, given, outcome) => {
    expect(settledOutcome(given, 0)).toBeUndefined();
    expect(unsettledOutcome(given, 0)).toMatchObject(outcome);
  });
});

describe('recordPage', () => {
  const page = (n: number, extra: Partial<Page> = {}): Page => ({
    listedAt: '2026-11-22T11:59:00.000Z',
    waitSeconds: 5,
    uploads: Array.from({ length: n }, (_, i) => ({ k: `k-${i}`, u: `U${i}`, p: 1, b: 10 + i })),
    decided: [],
    listed: n + 1,
    busy: 1,
    cursor: { keyMarker: `k-${n}`, uploadIdMarker: `U${n}` },
    last: false,
    truncated: false,
    ...extra,
  });
  const event = (p: Page, answers: PageAnswers, s = state()): RecordPageEvent => ({
    action: 'page',
    state: s,
    parent: 'target-exec',
    page: p,
    answers,
    runStartedAt: '2026-11-22T11:59:30Z',
  });
  const all = (n: number, v: string) => Array.from({ length: n }, () => v);

  it("writes one record per upload under a condition that spares other runs' records, adds the page to the totals and checkpoints", async () => {
    // Act
    const result = await recordPage(deps, event(page(3), { aborted: all(3, 'sent'), verified: { answers: all(3, 'gone'), kinds: ['gone'] } }));

    // Assert
    expect(result.next).toBe('list');
    expect(result.state).toMatchObject({ seq: 1, cursor: { keyMarker: 'k-3', uploadIdMarker: 'U3' }, handovers: [] });
    expect(result.state.totals).toMatchObject({ listed: 4, found: 4, aborted: 3, busy: 1, partsFound: 3, bytesFound: 33, bytesFreed: 33, pages: 1 });
    expect(docMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        id: recordId('data-a', 'k-0', 'U0'),
        recordType: 'upload',
        status: 'ABORTED',
        attempts: 1,
        partsFound: 1,
        bytesFound: 10,
        trigger: 'sweep',
        executionArn: SWEEP_ARN,
        sweepId: 'sweep-1',
        startedAt: '2026-11-22T11:59:00.000Z',
        expiresAt: Date.parse('2026-11-22T11:59:00Z') / 1000 + 1000,
      }),
      ConditionExpression: 'attribute_not_exists(#id)',
    });
    // the checkpoint, the step's ledger marker and the ADD of its three ABORTED uploads: one transaction
    const [checkpoint, marker, ledger] = docMock.commandCalls(TransactWriteCommand)[0].args[0].input.TransactItems!;
    expect(checkpoint.Put).toMatchObject({ Item: expect.objectContaining({ id: checkpointId('sweep-1', 0), seq: 1 }) });
    expect(marker.Put).toMatchObject({ Item: { id: `${checkpointId('sweep-1', 0)}#ledger#1` }, ConditionExpression: 'attribute_not_exists(#id)' });
    expect(ledger.Update?.Key).toEqual({ id: 'ledger#data-a#2026-11' });
    expect(ledger.Update?.ExpressionAttributeValues).toMatchObject({ ':a0': 3, ':a1': 33, ':a2': 0 });
  });

  it("records each upload's storage class as listed (no class on the page item: STANDARD) and the region it runs in", async () => {
    // Arrange: the lister keeps a class on the item only when it is not STANDARD
    vi.stubEnv('AWS_REGION', 'us-west-2');
    const listed = page(2);
    listed.uploads[1].c = 'GLACIER';

    // Act
    await recordPage(deps, event(listed, { aborted: all(2, 'sent'), verified: { answers: all(2, 'gone'), kinds: ['gone'] } }));
    vi.unstubAllEnvs();

    // Assert
    const items = docMock.commandCalls(PutCommand).map((c) => c.args[0].input.Item as Record<string, unknown>);
    expect(items.find((i) => i.key === 'k-0')).toMatchObject({ status: 'ABORTED', storageClass: 'STANDARD', region: 'us-west-2' });
    expect(items.find((i) => i.key === 'k-1')).toMatchObject({ status: 'ABORTED', storageClass: 'GLACIER', region: 'us-west-2' });
  });

  it('counts a record another run wrote meanwhile as busy, and one this sweep already wrote as it stands', async () => {
    // Arrange
    docMock.on(PutCommand).callsFake((input: { Item: { key?: string } }) => {
      if (input.Item.key !== undefined) throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
      return {};
    });
    docMock.on(GetCommand, { Key: { id: recordId('data-a', 'k-0', 'U0') } }).resolves({ Item: { status: 'ABORTED', executionArn: 'api-run' } });
    docMock
      .on(GetCommand, { Key: { id: recordId('data-a', 'k-1', 'U1') } })
      .resolves({ Item: { status: 'ABORTED', executionArn: SWEEP_ARN, partsFound: 4, bytesFound: 40 } });

    // Act: both answered NoSuchUpload at the first abort (NOT_FOUND, which never replaces the sweep's own ABORTED)
    const result = await recordPage(deps, event(page(2, { busy: 0 }), { aborted: all(2, 'gone'), verified: { answers: all(2, 'gone'), kinds: ['gone'] } }));

    // Assert
    expect(result.state.totals).toMatchObject({ found: 2, busy: 1, aborted: 1, notFound: 0, partsFound: 4, bytesFound: 40 });
  });

  it("replaces a dry run's earlier WOULD_ABORT on condition it is unchanged, drops dryRun and keeps the finding in history", async () => {
    // Arrange: the upload's record is an earlier dry run's finding
    const dryRun = {
      id: recordId('data-a', 'k-0', 'U0'),
      status: 'WOULD_ABORT',
      executionArn: 'dry-sweep',
      sweepId: 'sweep-0',
      dryRun: true,
      trigger: 'sweep',
      attempts: 0,
      partsFound: 1,
      bytesFound: 10,
      startedAt: '2026-11-22T10:00:00.000Z',
    };
    docMock
      .on(PutCommand, { ConditionExpression: 'attribute_not_exists(#id)' })
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    docMock.on(GetCommand).resolves({ Item: dryRun });

    // Act
    const result = await recordPage(deps, event(page(1, { busy: 0 }), { aborted: ['sent'], verified: { answers: ['gone'], kinds: ['gone'] } }));

    // Assert
    expect(result.state.totals).toMatchObject({ aborted: 1, busy: 0, bytesFreed: 10 });
    const replaced = docMock.commandCalls(PutCommand).find((c) => c.args[0].input.ConditionExpression?.startsWith('#executionArn'))!.args[0].input;
    expect(replaced.ExpressionAttributeValues).toEqual({ ':readArn': 'dry-sweep', ':readStatus': 'WOULD_ABORT', ':readStartedAt': '2026-11-22T10:00:00.000Z' });
    expect(replaced.Item).toMatchObject({
      status: 'ABORTED',
      executionArn: SWEEP_ARN,
      history: [{ status: 'WOULD_ABORT', executionArn: 'dry-sweep', dryRun: true, partsFound: 1 }],
    });
    expect(replaced.Item).not.toHaveProperty('dryRun');
  });

  it('records an upload its measure found gone as NOT_FOUND with a cause saying when it went', async () => {
    // Act
    await recordPage(deps, event(page(0, { busy: 0, decided: [{ k: 'gone', u: 'U9', p: 0, b: 0, s: 'NOT_FOUND' }] }), {}));

    // Assert
    expect(docMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        key: 'gone',
        status: 'NOT_FOUND',
        attempts: 0,
        cause: expect.stringMatching(/gone when it measured the upload .*before any abort/),
      }),
    });
  });

  it('leaves a WOULD_ABORT written after the page was listed to its run: busy', async () => {
    // Arrange
    docMock
      .on(PutCommand, { ConditionExpression: 'attribute_not_exists(#id)' })
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    docMock.on(GetCommand).resolves({ Item: { status: 'WOULD_ABORT', executionArn: 'later-dry-run', startedAt: '2026-11-22T12:00:00.000Z' } });

    // Act
    const result = await recordPage(deps, event(page(1, { busy: 0 }), { aborted: ['sent'], verified: { answers: ['gone'], kinds: ['gone'] } }));

    // Assert
    expect(result.state.totals).toMatchObject({ aborted: 0, busy: 1 });
  });

  it('hands few stubborn uploads to abort-upload (recheck), unrecorded, and ends the page execution', async () => {
    // Act
    const result = await recordPage(
      deps,
      event(page(3), {
        aborted: all(3, 'sent'),
        verified: { answers: ['gone', 'parts', 'parts'], kinds: ['gone', 'parts'] },
        abortedAgain: ['-', 'sent', 'sent'],
        verifiedAgain: ['-', 'gone', 'parts'],
      }),
    );

    // Assert
    expect(result.next).toBe('end');
    expect(result.state.handovers).toEqual([
      {
        id: recordId('data-a', 'k-2', 'U2'),
        input: {
          request: { bucket: 'data-a', key: 'k-2', uploadId: 'U2', expectedBucketOwner: '111122223333' },
          trigger: 'sweep',
          recheck: true,
          sweepId: 'sweep-1',
        },
      },
    ]);
    expect(result.state.totals).toMatchObject({ found: 4, aborted: 2, handedOver: 1 });
    expect(docMock).not.toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ key: 'k-2' }) });
  });

  it('records more stubborn uploads than a page hands over as seen: S3 refusing, not parts arriving', async () => {
    // Act: handoversPerPage is 2
    const result = await recordPage(
      deps,
      event(page(3), {
        aborted: all(3, 'S3.S3Exception'),
        verified: { answers: all(3, 'parts'), kinds: ['parts'] },
        abortedAgain: all(3, 'S3.S3Exception'),
        verifiedAgain: all(3, 'parts'),
      }),
    );

    // Assert
    expect(result.state.handovers).toEqual([]);
    expect(result.state.totals).toMatchObject({ found: 4, failed: 3 });
    expect(docMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ status: 'FAILED', error: 'S3Exception', cause: expect.stringContaining('not handed over: 3 uploads') }),
    });
  });

  it('a page recorded after its sweep was cancelled rebuilds the sweep counters with the records it wrote', async () => {
    // Arrange: the index does not show the page's records yet
    docMock
      .on(GetCommand, { Key: { id: 'sweep-1' } })
      .resolves({ Item: { id: 'sweep-1', recordType: 'sweep', status: 'CANCELLED', startedAt: '2026-11-22T11:00:00Z' } });
    docMock.on(UpdateCommand).resolves({});

    // Act
    await recordPage(deps, event(page(3), { aborted: all(3, 'sent'), verified: { answers: all(3, 'gone'), kinds: ['gone'] } }));

    // Assert
    expect(docMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id: 'sweep-1' },
      ExpressionAttributeValues: expect.objectContaining({ ':aborted': 3, ':bytesFreed': 33, ':status': 'CANCELLED' }),
    });
  });

  it('a page of a RUNNING sweep leaves the sweep record alone', async () => {
    // Act
    await recordPage(deps, event(page(2), { aborted: all(2, 'sent'), verified: { answers: all(2, 'gone'), kinds: ['gone'] } }));

    // Assert
    expect(docMock).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('returns the same state when retried with the same input', async () => {
    const input = event(page(2), { aborted: all(2, 'sent'), verified: { answers: all(2, 'gone'), kinds: ['gone'] } });
    expect((await recordPage(deps, input)).state).toEqual((await recordPage(deps, input)).state);
  });

  it('ends the target at the last page, and with the listing error', async () => {
    const result = await recordPage(deps, event(page(0, { last: true, busy: 0, error: { error: 'NoSuchBucket', cause: 'no' } }), {}));
    expect(result).toMatchObject({ next: 'end', state: { done: true, error: { error: 'NoSuchBucket' } } });
  });
});

describe('countHandovers', () => {
  it("counts what abort-upload recorded, busy for another run's record, and records FAILED a hand-over that never claimed its record", async () => {
    // Arrange
    const handovers = ['a', 'b', 'c'].map((k) => ({
      id: recordId('data-a', k, `U-${k}`),
      input: { request: { bucket: 'data-a', key: k, uploadId: `U-${k}` }, trigger: 'sweep', recheck: true, sweepId: 'sweep-1' },
    }));
    docMock.on(GetCommand, { Key: { id: handovers[0].id } }).resolves({ Item: { status: 'ABORTED', sweepId: 'sweep-1', partsFound: 2, bytesFound: 20 } });
    docMock.on(GetCommand, { Key: { id: handovers[1].id } }).resolves({ Item: { status: 'RUNNING', sweepId: 'other', executionArn: 'api' } });
    docMock.on(GetCommand, { Key: { id: handovers[2].id } }).resolves({});

    // Act
    const result = await countHandovers(deps, {
      action: 'handovers',
      state: state({ handovers }),
      parent: 'target-exec',
      results: [{ ended: 'SUCCEEDED' }, { ended: 'SUCCEEDED' }, { ended: 'FAILED', error: 'StepFunctions.ExecutionLimitExceeded' }],
    });

    // Assert
    expect(result.state).toMatchObject({ handovers: [], seq: 1, totals: { aborted: 1, busy: 1, failed: 1, bytesFound: 20 } });
    expect(result.state.slice.events).toBe(14 + 11 + 30);
    expect(docMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ key: 'c', status: 'FAILED', error: 'StepFunctions.ExecutionLimitExceeded' }),
    });
  });
});

describe('resumeTarget', () => {
  it('goes on from a newer checkpoint, counting the failed page execution as a lost page', async () => {
    // Arrange
    docMock
      .on(GetCommand)
      .resolves({ Item: { state: state({ seq: 4, cursor: { keyMarker: 'k-9', uploadIdMarker: 'U9' }, totals: { ...emptyTotals(), aborted: 40 } }) } });

    // Act
    const result = await resumeTarget(deps, {
      action: 'resume',
      state: state({ seq: 2 }),
      failure: { Error: 'States.TaskFailed', Cause: JSON.stringify({ Status: 'TIMED_OUT' }) },
    });

    // Assert
    expect(result.state).toMatchObject({ seq: 5, recoveries: 1, done: false, cursor: { keyMarker: 'k-9' }, totals: { aborted: 40, lostPages: 1 } });
  });

  it("gives the target up after three failures in a row, with the child execution's error", async () => {
    docMock.on(GetCommand).resolves({ Item: { state: state({ seq: 2, recoveries: 3 }) } });
    const result = await resumeTarget(deps, {
      action: 'resume',
      state: state({ seq: 2 }),
      failure: { Error: 'States.TaskFailed', Cause: JSON.stringify({ Error: 'States.Timeout', Cause: 'took too long' }) },
    });
    expect(result.state).toMatchObject({ done: true, recoveries: 4, error: { error: 'States.Timeout', cause: 'took too long' } });
  });

  it('gives up a target that failed before its first page', async () => {
    docMock.on(GetCommand).resolves({});
    const { sweep, target } = state();
    const result = await resumeTarget(deps, { action: 'give-up', state: { sweep, target }, failure: { Error: 'States.Runtime', Cause: 'bad path' } });
    expect(result.state).toMatchObject({ done: true, seq: 1, error: { error: 'States.Runtime', cause: 'bad path' } });
  });
});
