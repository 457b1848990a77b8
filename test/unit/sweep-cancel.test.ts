/** Cancelling a sweep, stopping what it started, and rebuilding an ended sweep's counters from its records. */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { mockClient } from 'aws-sdk-client-mock';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { BatchGetCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { cancelSweep, endInterruptedSweep, stopSweepExecutions } from '../../lib/sweep/cancel.ts';
import { tallied, tallySweep } from '../../lib/sweep/tally.ts';
import { checkpointId, emptyTotals } from '../../lib/sweep/state.ts';
import { HttpError } from '../../lib/http/errors.ts';
import { deps as docDeps, docMock } from '../support/doc-mock.ts';
import { GetObjectCommand, ListPartsCommand, NoSuchUpload } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { packIntent } from '../../lib/sweep/intent.ts';
import { deps as stepDeps, s3Mock, state } from '../support/sweep-steps.ts';

const sfnMock = mockClient(SFNClient);
const sfn = new SFNClient({ region: 'us-east-1' });
const deps = { ...docDeps, sfn, now: () => new Date('2026-12-01T10:00:00Z') };
const ID = 'sweep-20261201T095000Z-abc123';
const ARN = `arn:aws:states:us-east-1:1:execution:mpu-reaper-sweep-uploads:${ID}`;
const MACHINES = { sweepTarget: 'arn:aws:states:us-east-1:1:stateMachine:sweep-target', abortUpload: 'arn:aws:states:us-east-1:1:stateMachine:abort-upload' };
const sweepItem = (status: string, extra: Record<string, unknown> = {}) => ({
  id: ID,
  recordType: 'sweep',
  status,
  executionArn: ARN,
  startedAt: '2026-12-01T09:50:00Z',
  targets: JSON.stringify([{ bucket: 'b-1' }]),
  ...extra,
});

beforeEach(() => {
  docMock.reset();
  s3Mock.reset();
  sfnMock.reset();
  sfnMock.on(StopExecutionCommand).resolves({ stopDate: new Date() });
});

const refusal = async (run: Promise<unknown>) => {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
};

describe('cancelSweep', () => {
  it('marks a RUNNING sweep CANCELLED under its execution, then stops that execution', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({ Item: sweepItem('RUNNING') });
    docMock.on(UpdateCommand).resolves({});

    // Act
    const sweep = await cancelSweep(deps, ID);

    // Assert
    expect(sweep).toMatchObject({ id: ID, status: 'CANCELLED', cancelledAt: '2026-12-01T10:00:00.000Z' });
    expect(docMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id: ID },
      ConditionExpression: '#status = :running AND #executionArn = :executionArn',
      ExpressionAttributeValues: expect.objectContaining({ ':cancelled': 'CANCELLED', ':executionArn': ARN }),
    });
    expect(sfnMock).toHaveReceivedCommandWith(StopExecutionCommand, { executionArn: ARN, error: 'SweepCancelled' });
  });

  it('refuses a malformed id (400), an unknown one (404), an ended sweep (409) and a sweep that ends meanwhile (409), stopping nothing', async () => {
    // Arrange / Act / Assert
    expect((await refusal(cancelSweep(deps, 'no such!'))).statusCode).toBe(400);
    docMock.on(GetCommand).resolves({});
    expect((await refusal(cancelSweep(deps, ID))).statusCode).toBe(404);
    docMock.on(GetCommand).resolves({ Item: sweepItem('COMPLETED', { finishedAt: '2026-12-01T09:55:00Z' }) });
    const ended = await refusal(cancelSweep(deps, ID));
    expect([ended.statusCode, ended.body.status]).toEqual([409, 'COMPLETED']);
    docMock.on(GetCommand).resolves({ Item: sweepItem('RUNNING') });
    docMock.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    expect((await refusal(cancelSweep(deps, ID))).statusCode).toBe(409);
    expect(sfnMock).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('a cancelled sweep whose counters are not rebuilt yet is stopped again (the first StopExecution may have failed)', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({ Item: sweepItem('CANCELLED', { cancelledAt: '2026-12-01T09:59:00Z' }) });

    // Act
    const sweep = await cancelSweep(deps, ID);

    // Assert
    expect(sweep).toMatchObject({ status: 'CANCELLED', cancelledAt: '2026-12-01T09:59:00Z' });
    expect(docMock).not.toHaveReceivedCommand(UpdateCommand);
    expect(sfnMock).toHaveReceivedCommandTimes(StopExecutionCommand, 1);
  });
});

describe('stopSweepExecutions', () => {
  it("stops the RUNNING sweep-target and hand-over executions of this sweep only, another sweep's left alone", async () => {
    // Arrange
    const exec = (name: string) => ({ executionArn: `arn:exec:${name}`, stateMachineArn: 'x', name, status: 'RUNNING' as const, startDate: new Date() });
    sfnMock.on(ListExecutionsCommand, { stateMachineArn: MACHINES.sweepTarget }).resolves({ executions: [exec('lane-mine'), exec('lane-other')] });
    sfnMock.on(ListExecutionsCommand, { stateMachineArn: MACHINES.abortUpload }).resolves({ executions: [exec('handover-mine'), exec('api-run')] });
    const inputs: Record<string, unknown> = {
      'arn:exec:lane-mine': { state: { sweep: { id: ID } } },
      'arn:exec:lane-other': { state: { sweep: { id: 'sweep-other' } } },
      'arn:exec:handover-mine': { request: {}, trigger: 'sweep', sweepId: ID },
      'arn:exec:api-run': { request: {}, trigger: 'api' },
    };
    for (const [executionArn, input] of Object.entries(inputs))
      sfnMock.on(DescribeExecutionCommand, { executionArn }).resolves({ input: JSON.stringify(input) });

    // Act
    const stopped = await stopSweepExecutions(sfn, MACHINES, ID, 'SweepStopped');

    // Assert
    expect(stopped).toBe(2);
    const arns = sfnMock.commandCalls(StopExecutionCommand).map((call) => call.args[0].input.executionArn);
    expect(arns).toEqual(['arn:exec:lane-mine', 'arn:exec:handover-mine']);
    expect(sfnMock).toHaveReceivedCommandWith(ListExecutionsCommand, { statusFilter: 'RUNNING' });
  });
});

describe('tallySweep', () => {
  it('counts the outcomes of the records and takes from the checkpoints only what no record holds', () => {
    // Arrange
    const records = [
      { status: 'ABORTED' as const, partsFound: 2, bytesFound: 20 },
      { status: 'ABORTED' as const, partsFound: 1, bytesFound: 5 },
      { status: 'NOT_FOUND' as const },
      { status: 'FAILED' as const },
    ];
    const checkpoints = { ...emptyTotals(), listed: 9, busy: 2, pages: 3, handedOver: 1, lostPages: 1, aborted: 0, found: 0 };

    // Act
    const totals = tallied(records, checkpoints);

    // Assert
    expect(totals).toEqual({
      ...emptyTotals(),
      listed: 9,
      found: 6,
      aborted: 2,
      notFound: 1,
      failed: 1,
      busy: 2,
      partsFound: 3,
      bytesFound: 25,
      bytesFreed: 25,
      pages: 3,
      handedOver: 1,
      lostPages: 1,
    });
  });

  it('writes the rebuilt counters of a CANCELLED sweep, the records the caller just wrote included, only if no later rebuild won', async () => {
    // Arrange: the index shows one record; the caller wrote a second one the index does not show yet
    docMock.on(GetCommand).resolves({ Item: sweepItem('CANCELLED') });
    docMock.on(QueryCommand).resolves({ Items: [{ id: 'r1', status: 'ABORTED', bytesFound: 7 }] });
    const checkpoint = { id: checkpointId(ID, 0), state: { totals: { ...emptyTotals(), listed: 3, busy: 1, pages: 1 } } };
    docMock.on(BatchGetCommand).resolves({ Responses: { records: [checkpoint] } });
    docMock.on(UpdateCommand).resolves({});

    // Act
    const outcome = await tallySweep(deps, ID, [{ id: 'r2', status: 'ABORTED', bytesFound: 3, sweepId: ID }]);

    // Assert
    expect(outcome).toBe('tallied');
    // every shard of the newest-first index, from the sweep's start (the same record in each counts once)
    expect(docMock).toHaveReceivedCommandTimes(QueryCommand, 16);
    for (const shard of ['00', '15']) {
      expect(docMock).toHaveReceivedCommandWith(QueryCommand, {
        IndexName: 'byShardStartedAt',
        ExpressionAttributeValues: { ':listKey': `upload#${shard}`, ':startedAt': '2026-12-01T09:50:00Z', ':sweepId': ID },
      });
    }
    expect(docMock).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: '#status = :status AND (attribute_not_exists(#talliedAt) OR #talliedAt <= :talliedAt)',
      ExpressionAttributeValues: expect.objectContaining({ ':aborted': 2, ':bytesFreed': 10, ':found': 3, ':busy': 1, ':listed': 3, ':status': 'CANCELLED' }),
    });
  });

  it('leaves a RUNNING or finished sweep alone', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({ Item: sweepItem('RUNNING') });

    // Act / Assert
    expect(await tallySweep(deps, ID)).toBe('not-ended');
    docMock.on(GetCommand).resolves({ Item: sweepItem('COMPLETED') });
    expect(await tallySweep(deps, ID)).toBe('not-ended');
    expect(docMock).not.toHaveReceivedCommand(UpdateCommand);
  });
});

describe('endInterruptedSweep', () => {
  const detail = { executionArn: ARN, status: 'ABORTED', error: 'States.ExecutionAborted', cause: 'stopped' };

  it('keeps a cancelled sweep CANCELLED: no status change, its executions stopped, its counters rebuilt', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({ Item: sweepItem('CANCELLED') });
    docMock.on(QueryCommand).resolves({ Items: [] });
    docMock.on(UpdateCommand).resolves({});
    sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });

    // Act
    const outcome = await endInterruptedSweep({ ...deps, machines: MACHINES }, detail);

    // Assert
    expect(outcome).toBe('recorded');
    const updates = docMock.commandCalls(UpdateCommand).map((call) => call.args[0].input.ExpressionAttributeValues);
    expect(updates).toHaveLength(1); // the rebuilt counters only
    expect(updates[0]).toMatchObject({ ':status': 'CANCELLED', ':found': 0 });
    expect(sfnMock).toHaveReceivedCommandTimes(ListExecutionsCommand, 2);
  });

  it("changes nothing for another execution's record or a sweep that finished", async () => {
    // Arrange
    docMock.on(GetCommand).resolves({ Item: sweepItem('RUNNING', { executionArn: `${ARN}-other` }) });

    // Act / Assert
    expect(await endInterruptedSweep({ ...deps, machines: MACHINES }, detail)).toBe('not-running');
    docMock.on(GetCommand).resolves({ Item: sweepItem('COMPLETED', { finishedAt: '2026-12-01T09:55:00Z' }) });
    expect(await endInterruptedSweep({ ...deps, machines: MACHINES }, detail)).toBe('not-running');
    expect(docMock).not.toHaveReceivedCommand(UpdateCommand);
    expect(sfnMock).not.toHaveReceivedCommand(ListExecutionsCommand);
  });

  it('reconciles the intent of a lane whose last page died unrecorded: no resume follows a stopped sweep', async () => {
    // Arrange: the lane's checkpoint is at seq 2, its intent (seq 3) names an upload that is gone
    const lane = state({ seq: 2 });
    const intent = packIntent({ seq: 3, listedAt: '2026-12-01T09:59:00Z', uploads: [{ k: 'k-9', u: 'U9' }] });
    const item = sweepItem('RUNNING', { id: lane.sweep.id, executionArn: lane.sweep.executionArn, targets: JSON.stringify([lane.target]) });
    docMock
      .on(GetCommand)
      .resolvesOnce({ Item: item })
      .resolves({ Item: { ...item, status: 'STOPPED' } });
    docMock.on(BatchGetCommand).resolves({ Responses: { records: [{ id: checkpointId(lane.sweep.id, 0), state: lane }] } });
    docMock.on(QueryCommand).resolves({ Items: [] });
    docMock.on(UpdateCommand).resolves({});
    docMock.on(PutCommand).resolves({});
    s3Mock.on(GetObjectCommand).resolves({ Body: { transformToByteArray: async () => new Uint8Array(intent) } } as never);
    s3Mock.on(ListPartsCommand).rejects(new NoSuchUpload({ message: 'gone', $metadata: { httpStatusCode: 404 } }));

    // Act
    await endInterruptedSweep({ ...deps, s3: stepDeps.s3, intentsBucket: 'intents' }, { ...detail, executionArn: lane.sweep.executionArn });

    // Assert
    expect(docMock).toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ uploadId: 'U9', status: 'ABORTED', sweepId: lane.sweep.id }) });
    const tally = docMock.commandCalls(UpdateCommand).at(-1)!.args[0].input.ExpressionAttributeValues!;
    expect(tally).toMatchObject({ ':aborted': 1, ':found': 1 });
  });
});
