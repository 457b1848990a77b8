/** mpu-reaper sweep plan / sweep apply (lib/cli/plan.ts): the plan printed whole (table, --csv, --json), the apply and its refusals. */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { BatchGetCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { cli as runCli, docMock, resetMocks, sfnMock } from '../../support/cli.ts';
import { checkpointId } from '../../../lib/sweep/state.ts';
import { planPageId } from '../../../lib/sweep/plan-pages.ts';
import { sweepTable } from '../../../lib/cli/sweep.ts';

const ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:s3-mpu-reaper-dev-sweep-uploads';
const cli = (argv: string[]) => runCli(argv, { MPU_REAPER_SWEEP_STATE_MACHINE_ARN: ARN, MPU_REAPER_TABLE: 'records' });
const DRY_RUN = {
  id: 'sweep-dry',
  recordType: 'sweep',
  status: 'COMPLETED',
  dryRun: true,
  startedAt: new Date(Date.now() - 3_600_000).toISOString(),
  wouldAbort: 1_200,
  bytesFound: 1_200 * 11,
  targets: JSON.stringify([{ index: 0, bucket: 'data-a', prefix: '', olderThan: '1d', expectedBucketOwner: '111122223333', maxUploads: 100_000 }]),
  targetResults: JSON.stringify([{ bucket: 'data-a', lanes: 1 }]),
};
/** two plan pages: 1,000 uploads and 200, the first key with a comma and a quote (CSV quotes it) */
const page = (n: number, count: number) => ({
  id: planPageId('sweep-dry', 0, 0, n),
  bucket: 'data-a',
  measuredAt: '2026-11-22T11:00:00.000Z',
  uploads: JSON.stringify(
    Array.from({ length: count }, (_, i) => ({
      k: n === 0 && i === 0 ? 'a,"b"' : `k-${n}-${i}`,
      u: `U${n}-${i}`,
      p: 2,
      b: 11,
      i: '2026-11-01T00:00:00.000Z',
      c: 'STANDARD',
    })),
  ),
});

beforeEach(() => {
  resetMocks();
  docMock.on(GetCommand).resolves({});
  docMock.on(GetCommand, { Key: { id: 'sweep-dry' } }).resolves({ Item: DRY_RUN });
  docMock.on(GetCommand, { Key: { id: planPageId('sweep-dry', 0, 0, 0) } }).resolves({ Item: page(0, 1000) });
  docMock.on(GetCommand, { Key: { id: planPageId('sweep-dry', 0, 0, 1) } }).resolves({ Item: page(1, 200) });
  docMock.on(BatchGetCommand).resolves({ Responses: { records: [{ id: checkpointId('sweep-dry', 0), planPages: 2 }] } });
});

describe('mpu-reaper sweep plan', () => {
  it('--csv prints every planned upload once, a header first, keys quoted as RFC 4180 says', async () => {
    const { code, stdout } = await cli(['sweep', 'plan', 'sweep-dry', '--csv']);

    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('bucket,key,uploadId,initiated,storageClass,parts,bytes,newestPart,measuredAt');
    expect(lines).toHaveLength(1 + 1200);
    expect(lines[1]).toBe('data-a,"a,""b""",U0-0,2026-11-01T00:00:00.000Z,STANDARD,2,11,,2026-11-22T11:00:00.000Z');
    expect(new Set(lines.slice(1).map((l) => l.split(',').at(-7))).size).toBe(1200);
  });

  it('--json prints one JSON document: the summary and every upload', async () => {
    const { code, stdout } = await cli(['sweep', 'plan', 'sweep-dry', '--json']);

    expect(code).toBe(0);
    const plan = JSON.parse(stdout);
    expect(plan).toMatchObject({ id: 'sweep-dry', planned: 1200, bytes: 13_200 });
    expect(plan.items).toHaveLength(1200);
    expect(plan.items[0]).toEqual({
      bucket: 'data-a',
      key: 'a,"b"',
      uploadId: 'U0-0',
      initiated: '2026-11-01T00:00:00.000Z',
      storageClass: 'STANDARD',
      parts: 2,
      bytes: 11,
      measuredAt: '2026-11-22T11:00:00.000Z',
    });
  });

  it('prints the summary, how to apply it, and a table of the uploads', async () => {
    const { code, stdout } = await cli(['sweep', 'plan', 'sweep-dry']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/planned uploads\s+1200/);
    expect(stdout).toMatch(/not applied \(mpu-reaper sweep apply sweep-dry\)/);
    expect(stdout).toMatch(/U1-199/);
  });

  it.each([
    [['sweep', 'plan'], 2, /sweep plan: ID: give exactly one/],
    [['sweep', 'plan', 'bad id'], 2, /sweep plan: id: must be a sweep id/],
    [['sweep', 'plan', 'sweep-none'], 1, /sweep plan: no sweep with id sweep-none/],
  ])('%j → exit %i, one line', async (argv, exit, message) => {
    const { code, stderr } = await cli(argv);
    expect(code).toBe(exit);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('answers --csv with --json as a JSON error (exit 2): --json asks for JSON, errors too', async () => {
    const { code, stdout } = await cli(['sweep', 'plan', 'sweep-dry', '--csv', '--json']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ error: 'UsageError', message: expect.stringMatching(/--csv: cannot be given with --json/) });
  });
});

describe('mpu-reaper sweep apply', () => {
  it('claims the plan and starts the sweep that applies it', async () => {
    docMock.on(UpdateCommand).resolves({});
    const { code, stdout } = await cli(['sweep', 'apply', 'sweep-dry']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^started sweep sweep-\S+, applying the plan of dry run sweep-dry/);
    expect(JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input.input!)).toMatchObject({ planId: 'sweep-dry', trigger: 'cli' });
  });

  it('a plan applied already → exit 1 naming the sweep that applied it, nothing started', async () => {
    docMock.on(GetCommand, { Key: { id: 'sweep-dry' } }).resolves({ Item: { ...DRY_RUN, appliedBy: 'sweep-first' } });
    const { code, stderr } = await cli(['sweep', 'apply', 'sweep-dry']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/sweep apply: the plan of dry run sweep-dry was applied by sweep sweep-first/);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe("a sweep's table", () => {
  it('names the plan an applied sweep applied and what it left as changed; a dry run, the sweep that applied it', () => {
    const base = { id: 's', recordType: 'sweep' as const, executionArn: 'arn', startedAt: '2026-11-22T12:00:00Z' };
    expect(sweepTable({ ...base, status: 'COMPLETED', planId: 'sweep-dry', skippedChanged: 2 })).toMatch(/plan\s+sweep-dry\n.*skippedChanged\s+2/s);
    expect(sweepTable({ ...base, status: 'COMPLETED', dryRun: true, appliedBy: 'sweep-2' })).toMatch(/appliedBy\s+sweep-2/);
    expect(sweepTable({ ...base, status: 'COMPLETED', planId: '' })).not.toMatch(/plan|skippedChanged/);
  });
});
