/** Record retention: 0 keeps records (no expiresAt written, TTL off); anything else is a whole number of seconds. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { expiresAtField } from '../../lib/records.ts';

const plugin = createRequire(import.meta.url)('../../plugins/record-retention.cjs') as { parseRetention: (value: unknown) => number };

describe('record retention', () => {
  it('stamps expiresAt retention seconds after the start, or nothing when the retention is 0', () => {
    expect(expiresAtField(1_700_000_000.9, 3600)).toEqual({ expiresAt: 1_700_003_600 });
    expect(expiresAtField(1_700_000_000, 0)).toEqual({});
  });

  it('accepts whole seconds, 0 included, from serverless.yml or --param', () => {
    expect(plugin.parseRetention(7_776_000)).toBe(7_776_000);
    expect(plugin.parseRetention('0')).toBe(0);
  });

  it.each(['-5', '1.5', '90d', '', 'null'])('refuses %j at package time, naming RecordRetentionSeconds', (value) => {
    expect(() => plugin.parseRetention(value)).toThrow(/^RecordRetentionSeconds must be a whole number of seconds ≥ 0 \(0 keeps records\), e\.g\. /);
  });
});
