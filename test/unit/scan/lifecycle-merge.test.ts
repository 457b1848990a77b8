/** lib/scan/lifecycle.ts: the abort rule merged into a configuration, every other rule kept exactly, or refused. */
import { describe, expect, it } from 'vitest';
import type { LifecycleRule } from '@aws-sdk/client-s3';
import { ABORT_RULE_ID, MAX_RULES, coversWholeBucket, mergeAbortRule, sameConfig } from '../../../lib/scan/lifecycle.ts';
import { lifecycleDiff } from '../../../lib/cli/lifecycle.ts';

const EXPIRE_LOGS: LifecycleRule = {
  ID: 'expire-logs',
  Status: 'Enabled',
  Filter: { And: { Prefix: 'logs/', Tags: [{ Key: 'k', Value: 'v' }] } },
  Expiration: { Days: 30 },
};
const ARCHIVE: LifecycleRule = {
  ID: 'archive',
  Status: 'Disabled',
  Filter: { ObjectSizeGreaterThan: 1024 },
  Transitions: [{ Days: 90, StorageClass: 'GLACIER' }],
  NoncurrentVersionExpiration: { NoncurrentDays: 10 },
};
const ours = (days: number): LifecycleRule => ({
  ID: ABORT_RULE_ID,
  Filter: { Prefix: '' },
  Status: 'Enabled',
  AbortIncompleteMultipartUpload: { DaysAfterInitiation: days },
});

describe('mergeAbortRule', () => {
  it('adds the rule after every other rule, which stay exactly as read', () => {
    const before = structuredClone([EXPIRE_LOGS, ARCHIVE]);
    const merge = mergeAbortRule(before, 7);
    expect(merge).toEqual({ kind: 'add', rules: [EXPIRE_LOGS, ARCHIVE, ours(7)], rule: ours(7) });
    expect(before).toEqual([EXPIRE_LOGS, ARCHIVE]);
    expect(mergeAbortRule([], 3)).toEqual({ kind: 'add', rules: [ours(3)], rule: ours(3) });
  });

  it('refuses when another rule already aborts uploads in the whole bucket within N days; adds when it takes longer or covers a prefix only', () => {
    const whole = (days: number, filter: Partial<LifecycleRule> = { Filter: {} }): LifecycleRule => ({
      ID: 'theirs',
      Status: 'Enabled',
      ...filter,
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: days },
    });
    expect(mergeAbortRule([whole(3)], 7)).toEqual({ kind: 'refused', reason: expect.stringMatching(/rule "theirs" already aborts .* after 3 days \(≤ 7\)/) });
    expect(mergeAbortRule([whole(7, { Filter: { Prefix: '' } })], 7).kind).toBe('refused');
    expect(mergeAbortRule([whole(7, { Prefix: '' })], 7).kind).toBe('refused');
    expect(mergeAbortRule([whole(10)], 7).kind).toBe('add');
    expect(mergeAbortRule([whole(1, { Filter: { Prefix: 'tmp/' } })], 7).kind).toBe('add');
    expect(mergeAbortRule([{ ...whole(1), Status: 'Disabled' }], 7).kind).toBe('add');
  });

  it('changes the days of its own rule only, and refuses when its own rule already has them or was edited by hand', () => {
    expect(mergeAbortRule([EXPIRE_LOGS, ours(30)], 7)).toEqual({ kind: 'update', rules: [EXPIRE_LOGS, ours(7)], rule: ours(7), replaced: ours(30) });
    expect(mergeAbortRule([ours(7)], 7)).toEqual({ kind: 'refused', reason: expect.stringMatching(/already aborts incomplete uploads after 7 days/) });
    const edited = { ...ours(30), Expiration: { Days: 400 } };
    expect(mergeAbortRule([edited], 7)).toEqual({ kind: 'refused', reason: expect.stringMatching(/holds more than an abort/) });
  });

  it('writes its rule in the legacy Prefix form when every rule uses it (S3 refuses a mix); refuses at 1,000 rules or duplicate IDs', () => {
    const legacy: LifecycleRule = { ID: 'old', Prefix: 'tmp/', Status: 'Enabled', Expiration: { Days: 1 } };
    const merge = mergeAbortRule([legacy], 5);
    expect(merge.kind === 'add' && merge.rule).toEqual({
      ID: ABORT_RULE_ID,
      Prefix: '',
      Status: 'Enabled',
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 5 },
    });
    const many = Array.from(
      { length: MAX_RULES },
      (_, i) => ({ ID: `r${i}`, Status: 'Enabled', Filter: { Prefix: `p${i}/` }, Expiration: { Days: 1 } }) as LifecycleRule,
    );
    expect(mergeAbortRule(many, 5)).toEqual({ kind: 'refused', reason: expect.stringMatching(/1000 rules/) });
    expect(mergeAbortRule([EXPIRE_LOGS, { ...ARCHIVE, ID: 'expire-logs' }], 5)).toEqual({
      kind: 'refused',
      reason: expect.stringMatching(/two rules with one ID/),
    });
  });
});

describe('coversWholeBucket and sameConfig', () => {
  it('a rule covers the whole bucket only without prefix, tag or size conditions', () => {
    expect(coversWholeBucket({ Status: 'Enabled' })).toBe(true);
    expect(coversWholeBucket({ Status: 'Enabled', Filter: {} })).toBe(true);
    expect(coversWholeBucket({ Status: 'Enabled', Filter: { Prefix: 'a' } })).toBe(false);
    expect(coversWholeBucket({ Status: 'Enabled', Filter: { ObjectSizeLessThan: 5 } })).toBe(false);
    expect(coversWholeBucket({ Status: 'Enabled', Filter: { And: { Prefix: '' } } })).toBe(false);
  });

  it('compares two reads whatever their key order, and tells a changed rule apart', () => {
    const reordered = { rules: [{ Status: 'Enabled', ID: 'expire-logs', Expiration: { Days: 30 }, Filter: EXPIRE_LOGS.Filter } as LifecycleRule] };
    expect(sameConfig({ rules: [EXPIRE_LOGS] }, reordered)).toBe(true);
    expect(sameConfig({ rules: [EXPIRE_LOGS] }, { rules: [{ ...EXPIRE_LOGS, Expiration: { Days: 31 } }] })).toBe(false);
    expect(sameConfig({ rules: [] }, { rules: [], transitionDefaultMinimumObjectSize: 'all_storage_classes_128K' })).toBe(false);
  });
});

describe('lifecycleDiff', () => {
  it('one rule a line: kept with a space, removed with -, added with +', () => {
    expect(lifecycleDiff([EXPIRE_LOGS, ours(30)], [EXPIRE_LOGS, ours(7)]).split('\n')).toEqual([
      `  ${JSON.stringify(EXPIRE_LOGS)}`,
      `- ${JSON.stringify(ours(30))}`,
      `+ ${JSON.stringify(ours(7))}`,
    ]);
  });
});
