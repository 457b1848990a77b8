/** parseAllowlist (lib/allowlist.ts): the buckets the workflow may touch. */
import { describe, expect, it } from 'vitest';
import { parseAllowlist } from '../../lib/allowlist.ts';

describe('parseAllowlist', () => {
  it('matches exact names and prefix patterns', () => {
    // Arrange
    const allowlist = parseAllowlist(' data-* , logs-bucket ');

    // Assert
    expect(allowlist.patterns).toEqual(['data-*', 'logs-bucket']);
    expect(['data-x', 'logs-bucket'].map(allowlist.allows)).toEqual([true, true]);
    expect(['logs-bucket2', 'other', 'xdata-'].map(allowlist.allows)).toEqual([false, false, false]);
  });

  it('refuses a pattern with * anywhere but the end', () => {
    expect(() => parseAllowlist('da*ta')).toThrow(/prefix pattern ending in \*/);
  });

  it('allows nothing when empty', () => {
    expect(parseAllowlist('').allows('any')).toBe(false);
  });
});
