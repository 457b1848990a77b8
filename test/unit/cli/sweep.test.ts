/** mpu-reaper sweep and sweeps (lib/cli/sweep.ts): the sweep it starts, --wait with live progress and the final table, the list. */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { StartExecutionCommand, DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { BatchGetCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { cli as runCli, docMock, resetMocks, sfnMock } from '../../support/cli.ts';
import { MAX_LANES } from '../../../lib/sweep/state.ts';
import { truncatedCause } from '../../../lib/sweep/finish.ts';
import { SWEEP_USAGE, sweepFlagOf } from '../../../lib/cli/sweep.ts';

const ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:s3-mpu-reaper-dev-sweep-uploads';
const ENV = { MPU_REAPER_SWEEP_STATE_MACHINE_ARN: ARN, MPU_REAPER_TABLE: 'records' };
const cli = (argv: string[]) => runCli(argv, ENV);

beforeEach(() => {
  resetMocks();
  docMock.on(QueryCommand).resolves({ Items: [] }); // no sweep is running
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sweep:x', startDate: new Date() });
});

describe('mpu-reaper sweep', () => {
  it.each([
    [['sweep', '--older-than', '24h'], /--bucket: is required/],
    [['sweep', '--bucket', 'data-lake'], /--older-than: is required/],
    [['sweep', '--bucket', 'data-lake', '--older-than', '2 weeks'], /--older-than: must be a duration/],
    [['sweep', '--bucket', 'Data', '--older-than', '1d'], /--bucket: must be lowercase/],
    [['sweep', '--bucket', 'data-lake', '--older-than', '1d', '--max-uploads', 'lots'], /--max-uploads: must be a whole number/],
    [['sweep', '--bucket', 'data-lake', '--older-than', '1d', '--max-uploads', '1.0'], /--max-uploads: must be a whole number .* decimal digits, got "1\.0"/],
    [['sweep', '--bucket', 'data-lake', '--older-than', '1d', '--max-uploads', '1e3'], /--max-uploads: .*got "1e3"/],
    [['sweep', '--bucket', 'data-lake', '--older-than', '1d', '--max-uploads', '0x10'], /--max-uploads: .*got "0x10"/],
    [['sweep', '--bucket', 'data-lake', '--older-than', '1d', '--prefix', 'a\u0001'], /--prefix: must not hold control characters/],
    [['sweep', '--bucket', 'data-lake', '--older-than', '1d', '--prefix', '\uD800'], /--prefix: must be valid UTF-8/],
    [
      ['sweep', ...Array.from({ length: 21 }, (_, i) => ['--bucket', `data-${i}`]).flat(), '--older-than', '1d'],
      /^mpu-reaper sweep: --bucket: must have at most 20/,
    ],
    [['sweep', '--bucket', 'data-lake', '--bucket', 'data-lake', '--older-than', '1d'], /^mpu-reaper sweep: --bucket: overlaps/],
    [['sweep', '--bucket', 'data-lake', '--older-than', '1d', '--dry-run', '--no-measure'], /^mpu-reaper sweep: --no-measure: cannot be false/],
    [['sweep', '--bucket', 'data-lake', '--older-than', '1d', '--expected-bucket-owner', '1'], /--expected-bucket-owner: must be a 12-digit/],
    [['sweep', '--bucket', 'data-lake', '--older-than', '1d', '--active-within', '8d'], /--active-within: must be a duration from 0s to 7d/],
    [['sweep', '--bucket', 'data-lake', '--older-than', '1d', '--active-within', '5m', '--no-activity-guard'], /--active-within: cannot be given/],
  ])('%j → exit 2, one line, nothing started', async (argv, message) => {
    // Act
    const { code, stderr } = await cli(argv);

    // Assert
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('refuses a target that overlaps a running sweep: exit 1, one line naming it, nothing started', async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({ Items: [{ id: 'sweep-running', targets: JSON.stringify([{ bucket: 'data-a', prefix: '' }]) }] });

    // Act
    const { code, stderr } = await cli(['sweep', '--bucket', 'data-a', '--prefix', 'tmp/', '--older-than', '7d']);

    // Assert
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('overlaps the running sweep sweep-running');
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('starts one sweep with a target per bucket', async () => {
    // Act
    const { code, stdout } = await cli(['sweep', '--bucket', 'data-a', '--bucket', 'data-b', '--prefix', 'tmp/', '--older-than', '7d', '--dry-run', '--json']);

    // Assert
    expect(code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: ARN,
      name: expect.stringMatching(/^sweep-\d{8}T\d{6}Z-[0-9a-f]{6}$/),
      input: JSON.stringify({
        targets: [
          { bucket: 'data-a', olderThan: '7d', prefix: 'tmp/' },
          { bucket: 'data-b', olderThan: '7d', prefix: 'tmp/' },
        ],
        dryRun: true,
        trigger: 'cli',
      }),
    });
    expect(JSON.parse(stdout)).toMatchObject({ status: 'RUNNING' });
  });

  it('passes the activity guard: --active-within as activeWithin, --no-activity-guard as activityGuard false', async () => {
    // Act
    await cli(['sweep', '--bucket', 'data-a', '--older-than', '7d', '--active-within', '15m']);
    await cli(['sweep', '--bucket', 'data-a', '--older-than', '7d', '--no-activity-guard']);

    // Assert
    const inputs = sfnMock.commandCalls(StartExecutionCommand).map((c) => JSON.parse(c.args[0].input.input!));
    expect(inputs[0]).toMatchObject({ activeWithin: '15m' });
    expect(inputs[1]).toMatchObject({ activityGuard: false });
  });

  it('with --wait shows progress lines until the sweep ends, then the table; exit 0 for COMPLETED', async () => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand).resolvesOnce({ status: 'RUNNING' }).resolves({ status: 'SUCCEEDED' });
    docMock
      .on(GetCommand)
      .resolvesOnce({ Item: { id: 's', recordType: 'sweep', status: 'RUNNING', found: 4, aborted: 1, bytesFound: 2048 } })
      .resolvesOnce({ Item: { id: 's', recordType: 'sweep', status: 'RUNNING', found: 4, aborted: 4, bytesFound: 8192 } })
      .resolves({
        Item: {
          id: 's',
          recordType: 'sweep',
          status: 'COMPLETED',
          found: 4,
          aborted: 4,
          bytesFound: 8192,
          targetResults: '[{"bucket":"data-a","status":"SWEPT"}]',
        },
      });

    // Act
    const { code, stdout } = await runCli(['sweep', '--bucket', 'data-a', '--older-than', '1d', '--wait'], ENV, { now: () => 0 });

    // Assert
    expect(code).toBe(0);
    expect(stdout).toContain('1 done · 4 found so far · – /s · time left – · aborted 1 · failed 0 · 2.0 KiB');
    expect(stdout).toContain('4 done · 4 found so far · – /s · time left – · aborted 4 · failed 0 · 8.0 KiB');
    expect(stdout).toMatch(/status\s+COMPLETED/);
    expect(stdout).toMatch(/target data-a\s+SWEPT/);
  });

  it('asks for no measure with --no-measure', async () => {
    // Act
    await cli(['sweep', '--bucket', 'data-a', '--older-than', '1d', '--no-measure']);

    // Assert
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      input: JSON.stringify({ targets: [{ bucket: 'data-a', olderThan: '1d' }], measure: false, trigger: 'cli' }),
    });
  });

  it("while the sweep runs, shows the counters summed from its lanes' checkpoints", async () => {
    // Arrange: the sweep record keeps 0 until the end
    sfnMock.on(DescribeExecutionCommand).resolvesOnce({ status: 'RUNNING' }).resolves({ status: 'SUCCEEDED' });
    docMock
      .on(GetCommand)
      .resolvesOnce({ Item: { id: 's', recordType: 'sweep', status: 'RUNNING', targets: '[{},{}]', found: 0, aborted: 0 } })
      .resolves({ Item: { id: 's', recordType: 'sweep', status: 'COMPLETED', found: 5, aborted: 5, bytesFound: 50 } });
    docMock.on(BatchGetCommand).resolves({
      Responses: {
        records: [
          { id: 's#target-0', state: { totals: { found: 3, aborted: 2, busy: 1, bytesFound: 1024 } } },
          { id: 's#target-1', state: { totals: { found: 1, aborted: 1, bytesFound: 512 } } },
          { id: 's#target-1#lane-7', state: { totals: { found: 1, aborted: 1, bytesFound: 512 } } },
        ],
      },
    });

    // Act
    const { stdout } = await cli(['sweep', '--bucket', 'data-a', '--older-than', '1d', '--wait']);

    // Assert
    // every lane a target of two may have (MAX_LANES / 2 each), 100 a call; each checkpoint counted once
    const asked = docMock.commandCalls(BatchGetCommand).flatMap((call) => call.args[0].input.RequestItems!.records.Keys!.map((key) => key.id));
    expect(asked).toHaveLength(MAX_LANES);
    expect(asked).toEqual(expect.arrayContaining(['s#target-0', 's#target-1', 's#target-0#lane-1', `s#target-1#lane-${MAX_LANES / 2 - 1}`]));
    expect(stdout).toContain('5 done · 5 found so far · – /s · time left – · aborted 4 · failed 0 · 2.0 KiB');
  });

  it('says "of N" with the rate and time left once every lane has listed to the end, "found so far" before', async () => {
    // Arrange: one target of two lanes; lane 1 (the last: no end) ends its listing at the third poll
    const lane = (n: number, end?: string) => ({ target: 0, lane: n, after: '', limit: 1000, ...(end ? { end } : {}) });
    const checkpoint = (n: number, done: boolean, aborted: number, end?: string) => ({
      id: `s#target-0${n > 0 ? `#lane-${n}` : ''}`,
      state: { target: { index: 0 }, lane: lane(n, end), done, totals: { found: 300, aborted } },
    });
    sfnMock.on(DescribeExecutionCommand).resolvesOnce({ status: 'RUNNING' }).resolvesOnce({ status: 'RUNNING' }).resolves({ status: 'SUCCEEDED' });
    let reading = -1; // each reading: the sweep record, then its checkpoints (several BatchGetItem calls)
    docMock.on(GetCommand).callsFake(() => {
      reading += 1;
      return reading < 3
        ? { Item: { id: 's', recordType: 'sweep', status: 'RUNNING', targets: '[{}]' } }
        : { Item: { id: 's', recordType: 'sweep', status: 'COMPLETED', found: 600, aborted: 600 } };
    });
    const readings = [
      [checkpoint(0, true, 300, 'k'), checkpoint(1, false, 0)],
      [checkpoint(0, true, 300, 'k'), checkpoint(1, false, 100)],
      [checkpoint(0, true, 300, 'k'), checkpoint(1, true, 200)],
    ];
    // the checkpoints come in the answer to the call that asks for them
    docMock.on(BatchGetCommand).callsFake((input: { RequestItems: { records: { Keys: Array<{ id: string }> } } }) => {
      const asked = new Set(input.RequestItems.records.Keys.map((key) => key.id));
      return { Responses: { records: readings[reading].filter((c) => asked.has(c.id)) } };
    });
    let now = 0;
    const clock = () => {
      now += 10_000; // one reading every ten seconds
      return now;
    };

    // Act
    const { stdout } = await runCli(['sweep', '--bucket', 'data-a', '--older-than', '1d', '--wait'], ENV, { now: clock });

    // Assert
    const lines = stdout.split('\n');
    expect(lines).toContain('300 done · 600 found so far · – /s · time left – · aborted 300 · failed 0 · 0 B');
    expect(lines).toContain('400 done · 600 found so far · 10.0/s · time left – · aborted 400 · failed 0 · 0 B');
    expect(lines).toContain('[████████████████████░░░░] 500 of 600 · 10.0/s · 10s left · aborted 500 · failed 0 · 0 B');
  });

  it('in a pipe prints a line when the counts changed, not for each poll; on a terminal redraws it with the rate', async () => {
    // Arrange: five polls of a running sweep whose counts change once
    const running = (aborted: number) => ({ Item: { id: 's', recordType: 'sweep', status: 'RUNNING', found: 10, aborted } });
    const arrange = () => {
      sfnMock.reset();
      sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sweep:x' });
      sfnMock
        .on(DescribeExecutionCommand)
        .resolvesOnce({ status: 'RUNNING' })
        .resolvesOnce({ status: 'RUNNING' })
        .resolvesOnce({ status: 'RUNNING' })
        .resolvesOnce({ status: 'RUNNING' })
        .resolves({ status: 'SUCCEEDED' });
      docMock.reset();
      docMock.on(QueryCommand).resolves({ Items: [] });
      docMock
        .on(GetCommand)
        .resolvesOnce(running(2))
        .resolvesOnce(running(2))
        .resolvesOnce(running(2))
        .resolvesOnce(running(6))
        .resolvesOnce(running(6))
        .resolves({ Item: { id: 's', recordType: 'sweep', status: 'COMPLETED', found: 10, aborted: 10 } });
    };
    let now = 0;
    const clock = () => (now += 1000);
    const argv = ['sweep', '--bucket', 'data-a', '--older-than', '1d', '--wait'];

    // Act
    arrange();
    const piped = await runCli(argv, ENV, { now: clock });
    arrange();
    let onTty = '';
    await runCli(argv, ENV, { now: clock, stdout: Object.assign({ write: (t: string) => (onTty += t) }, { isTTY: true }) });

    // Assert
    expect(piped.stdout).not.toContain('\x1b');
    expect(piped.stdout.split('\n').filter((l) => l.includes('found so far'))).toEqual([
      '2 done · 10 found so far · – /s · time left – · aborted 2 · failed 0 · 0 B',
      '6 done · 10 found so far · 1.3/s · time left – · aborted 6 · failed 0 · 0 B',
    ]);
    // on a terminal: drawn once, then redrawn in place (cursor up a line, clear it) each time the rate changed
    expect(onTty.split('\x1b[2K\r').filter((drawn) => /^\d+ done/.test(drawn))).toHaveLength(4);
    expect(onTty.split('\x1b[1A')).toHaveLength(4);
  });

  it('exits 1 when the sweep completed with errors', async () => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    docMock.on(GetCommand).resolves({
      Item: {
        id: 's',
        recordType: 'sweep',
        status: 'COMPLETED_WITH_ERRORS',
        targetErrors: [{ bucket: 'gone', error: 'S3.NoSuchBucketException', cause: 'no bucket' }],
      },
    });

    // Act
    const { code, stdout } = await cli(['sweep', '--bucket', 'data-a', '--older-than', '1d', '--wait']);

    // Assert
    expect(code).toBe(1);
    expect(stdout).toMatch(/error gone\s+S3.NoSuchBucketException: no bucket/);
  });
});

describe('the flag a sweep request problem names', () => {
  it.each([
    'targets',
    'targets[3]',
    'targets[0].bucket',
    'targets[1].prefix',
    'targets[2].olderThan',
    'targets[0].expectedBucketOwner',
    'dryRun',
    'measure',
    'maxUploads',
  ])('%s → a flag sweep has', (field) => {
    // Act
    const flag = sweepFlagOf(field);

    // Assert
    expect(SWEEP_USAGE).toContain(`  ${flag} `);
  });
});

describe('mpu-reaper sweeps', () => {
  it('lists sweeps newest first from the index, as a table', async () => {
    // Arrange
    docMock.on(QueryCommand).resolves({
      Items: [{ id: 'sweep-2', recordType: 'sweep', status: 'COMPLETED', startedAt: '2026-11-22T10:00:00Z', found: 3, aborted: 3, bytesFound: 10 }],
    });

    // Act
    const { code, stdout } = await cli(['sweeps', '--limit', '5']);

    // Assert
    expect(code).toBe(0);
    expect(docMock).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'byShardStartedAt',
      ScanIndexForward: false,
      Limit: 5,
      ExpressionAttributeNames: { '#pk': 'listKey' },
      ExpressionAttributeValues: { ':pk': 'sweep' },
    });
    expect(stdout.split('\n')[1]).toMatch(/^sweep-2\s+COMPLETED\s+2026-11-22T10:00:00Z\s+3\s+3\s+0\s+10 B$/);
  });

  it('shows one sweep by its id, with its counters and targets', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({
      Item: {
        id: 'sweep-20261122T100000Z-abcdef',
        recordType: 'sweep',
        status: 'COMPLETED',
        startedAt: '2026-11-22T10:00:00Z',
        found: 4,
        aborted: 3,
        failed: 1,
        bytesFound: 2048,
        targetResults: JSON.stringify([{ bucket: 'data-lake', status: 'COMPLETED' }]),
      },
    });

    // Act
    const { code, stdout } = await cli(['sweeps', 'sweep-20261122T100000Z-abcdef']);

    // Assert
    expect(code).toBe(0);
    expect(docMock).toHaveReceivedCommandWith(GetCommand, { TableName: 'records', Key: { id: 'sweep-20261122T100000Z-abcdef' } });
    expect(stdout).toMatch(/^sweep sweep-20261122T100000Z-abcdef\n/);
    expect(stdout).toMatch(/status\s+COMPLETED/);
    expect(stdout).toMatch(/aborted\s+3/);
    expect(stdout).toMatch(/target data-lake\s+COMPLETED/);
  });

  it('shows how far a running sweep is: "done · found so far" while a lane lists, "of N" once every lane listed to its end', async () => {
    // Arrange: one target of two lanes, the last one (no end) still listing, then done
    const record = { id: 'sweep-1', recordType: 'sweep', status: 'RUNNING', startedAt: '2026-11-22T10:00:00Z', targets: '[{"bucket":"data-lake"}]' };
    docMock.on(GetCommand).resolves({ Item: record });
    const checkpoints = (lastDone: boolean) => [
      { id: 'sweep-1#target-0', state: { target: { index: 0 }, lane: { lane: 0, end: 'k' }, done: true, totals: { found: 30, aborted: 30 } } },
      { id: 'sweep-1#target-0#lane-1', state: { target: { index: 0 }, lane: { lane: 1 }, done: lastDone, totals: { found: 20, aborted: 10 } } },
    ];
    let lastDone = false;
    docMock.on(BatchGetCommand).callsFake((input: { RequestItems: { records: { Keys: Array<{ id: string }> } } }) => {
      const asked = new Set(input.RequestItems.records.Keys.map((key) => key.id));
      return { Responses: { records: checkpoints(lastDone).filter((c) => asked.has(c.id)) } };
    });

    // Act
    const listing = await cli(['sweeps', 'sweep-1']);
    lastDone = true;
    const listed = await cli(['sweeps', 'sweep-1']);

    // Assert
    expect(listing.stdout).toMatch(/^progress +40 done · 50 found so far$/m);
    expect(listed.stdout).toMatch(/^progress +40 of 50$/m);
    expect(listed.stdout).toMatch(/^aborted +40$/m);
  });

  it("shows a TRUNCATED target's cause: the option that raises the limit", async () => {
    // Arrange
    const cause = truncatedCause(500);
    docMock.on(GetCommand).resolves({
      Item: {
        id: 'sweep-1',
        recordType: 'sweep',
        status: 'INCOMPLETE',
        startedAt: '2026-11-22T10:00:00Z',
        targetResults: JSON.stringify([{ bucket: 'data-lake', status: 'TRUNCATED', cause }]),
      },
    });

    // Act
    const { code, stdout } = await cli(['sweeps', 'sweep-1']);

    // Assert
    expect(code).toBe(0);
    const line = stdout.split('\n').find((l) => l.startsWith('target data-lake'));
    expect(line).toMatch(/^target data-lake +TRUNCATED \(listed 500 uploads/);
    expect(line).toContain(`(${cause})`);
    expect(cause).toContain('--max-uploads');
  });

  it('shows one sweep as JSON with --json', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({ Item: { id: 'sweep-1', recordType: 'sweep', status: 'RUNNING', startedAt: '2026-11-22T10:00:00Z' } });

    // Act
    const { code, stdout } = await cli(['sweeps', 'sweep-1', '--json']);

    // Assert
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ id: 'sweep-1', status: 'RUNNING', links: { self: '/sweeps/sweep-1' } });
  });

  it.each([
    [['sweeps', 'no such/id'], 2, /^mpu-reaper sweeps: ID must be a sweep id/],
    [['sweeps', 'a', 'b'], 2, /one sweep id at most, got 2/],
    [['sweeps', 'sweep-1', '--limit', '5'], 2, /--status and --limit list sweeps/],
    [['sweeps', 'sweep-404'], 1, /^mpu-reaper: sweeps: no sweep with id sweep-404 in records\n$/],
  ])('%j → exit %d, one line', async (argv, exit, message) => {
    // Arrange
    docMock.on(GetCommand).resolves({});

    // Act
    const { code, stderr } = await cli(argv);

    // Assert
    expect(code).toBe(exit);
    expect(stderr).toMatch(message);
  });

  it('refuses an unknown status', async () => {
    expect((await cli(['sweeps', '--status', 'DONE'])).code).toBe(2);
  });

  it.each(['0x10', '1e2', ' 5', '5.0'])('refuses --limit %j, naming the flag, without querying', async (limit) => {
    // Act
    const { code, stderr } = await cli(['sweeps', '--limit', limit]);

    // Assert
    expect(code).toBe(2);
    expect(stderr).toBe(`mpu-reaper sweeps: --limit: must be a whole number from 1 to 100 in decimal digits, got ${JSON.stringify(limit)}\n`);
    expect(docMock).not.toHaveReceivedCommand(QueryCommand);
  });
});
