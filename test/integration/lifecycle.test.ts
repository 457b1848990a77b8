/**
 * `mpu-reaper lifecycle` against moto_server (it keeps lifecycle configurations) through the stack's proxy: the diff,
 * --apply merging into the rules already there, refusals, and a configuration changed between the read and the write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutBucketLifecycleConfigurationCommand, type LifecycleRule, type S3Client } from '@aws-sdk/client-s3';
import { startChaosProxy, type ChaosProxy } from '../../emulator/chaos.ts';
import { ABORT_RULE_ID, LifecycleChanged, applyLifecycle, mergeAbortRule, readLifecycle } from '../../lib/scan/lifecycle.ts';
import { cli as runCli } from '../support/cli.ts';
import { awsClients, createBucket, startMoto, type MotoServer } from '../support/workflow.ts';

let moto: MotoServer;
let proxy: ChaosProxy;
let s3: S3Client;
let env: NodeJS.ProcessEnv;
const cli = (argv: string[]) => runCli(argv, env);
const EXPIRE: LifecycleRule = { ID: 'expire-tmp', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 30 } };
const TRANSITION: LifecycleRule = { ID: 'to-glacier', Status: 'Disabled', Filter: { Prefix: 'cold/' }, Transitions: [{ Days: 90, StorageClass: 'GLACIER' }] };
const put = (Bucket: string, Rules: LifecycleRule[]) => s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules } }));

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startChaosProxy({ target: moto.endpoint });
  s3 = awsClients(proxy.endpoint).s3;
  env = { AWS_ENDPOINT_URL: proxy.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
}, 60_000);
afterAll(async () => {
  s3?.destroy();
  await proxy?.close();
  await moto?.stop();
});

describe('mpu-reaper lifecycle', () => {
  it('shows the diff and writes nothing without --apply; --apply keeps every other rule and adds the abort rule', async () => {
    // Arrange
    await createBucket(s3, 'lc-merge');
    await put('lc-merge', [EXPIRE, TRANSITION]);
    const before = await readLifecycle(s3, 'lc-merge');

    // Act
    const preview = await cli(['lifecycle', '--bucket', 'lc-merge', '--days', '7']);
    const afterPreview = await readLifecycle(s3, 'lc-merge');
    const applied = await cli(['lifecycle', '--bucket', 'lc-merge', '--days', '7', '--apply', '--json']);
    const after = await readLifecycle(s3, 'lc-merge');

    // Assert
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain('(2 rules → 3)');
    expect(preview.stdout).toMatch(new RegExp(`^\\+ .*"${ABORT_RULE_ID}".*"DaysAfterInitiation":7`, 'm'));
    expect(preview.stdout.match(/^ {2}\{/gm)).toHaveLength(2);
    expect(afterPreview).toEqual(before);
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ status: 'added', applied: true });
    expect(after.rules).toHaveLength(3);
    expect(after.rules.slice(0, 2)).toEqual(before.rules);
    expect(after.rules[2]).toMatchObject({ ID: ABORT_RULE_ID, Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } });
  });

  it('refuses (exit 1, nothing written) when a rule already aborts uploads in the whole bucket within the days', async () => {
    // Arrange
    await createBucket(s3, 'lc-covered');
    await put('lc-covered', [{ ID: 'theirs', Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } }]);
    const before = await readLifecycle(s3, 'lc-covered');

    // Act
    const { code, stderr } = await cli(['lifecycle', '--bucket', 'lc-covered', '--days', '7', '--apply']);

    // Assert
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(/refused: rule "theirs" already aborts incomplete uploads in the whole bucket after 3 days/);
    expect(await readLifecycle(s3, 'lc-covered')).toEqual(before);
  });

  it('adds the rule to a bucket without a configuration; then changes only its own days', async () => {
    await createBucket(s3, 'lc-none');
    expect((await cli(['lifecycle', '--bucket', 'lc-none', '--days', '30', '--apply'])).code).toBe(0);
    expect((await cli(['lifecycle', '--bucket', 'lc-none', '--days', '2', '--apply'])).code).toBe(0);
    const { rules } = await readLifecycle(s3, 'lc-none');
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ ID: ABORT_RULE_ID, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } });
    const scan = JSON.parse((await cli(['scan', '--bucket', 'lc-none', '--json'])).stdout);
    expect(scan.buckets[0].lifecycleAbortDays).toBe(2);
    expect(scan.totals.bucketsWithoutAbortRule).toEqual([]);
  });

  it('a configuration changed between the read and the write is not overwritten: the other change survives', async () => {
    // Arrange
    await createBucket(s3, 'lc-race');
    await put('lc-race', [EXPIRE]);
    const read = await readLifecycle(s3, 'lc-race');
    const merge = mergeAbortRule(read.rules, 7);
    await put('lc-race', [EXPIRE, TRANSITION]); // someone else's change, after our read

    // Act
    const attempt = applyLifecycle(s3, 'lc-race', read, merge as Extract<typeof merge, { rules: unknown }>);

    // Assert
    await expect(attempt).rejects.toBeInstanceOf(LifecycleChanged);
    const now = await readLifecycle(s3, 'lc-race');
    expect(now.rules.map((r) => r.ID)).toEqual(['expire-tmp', 'to-glacier']);
  });

  it('bad input: one line naming the flag or bucket, exit 2', async () => {
    for (const [argv, message] of [
      [['lifecycle', '--days', '7'], /--bucket: is required/],
      [['lifecycle', '--bucket', 'lc-merge'], /--days: is required/],
      [['lifecycle', '--bucket', 'lc-merge', '--days', '0'], /--days: must be a whole number from 1/],
      [['lifecycle', '--bucket', 'lc-merge', '--days', '1.5'], /--days: must be a whole number/],
      [['lifecycle', '--bucket', 'lc-missing-bucket', '--days', '7', '--apply'], /--bucket lc-missing-bucket: the bucket does not exist/],
    ] as const) {
      const { code, stderr } = await cli([...argv]);
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(message);
    }
  });
});
