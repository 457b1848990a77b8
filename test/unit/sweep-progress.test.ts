/** Whether a running sweep's listing has ended (lib/sweep/progress.ts): then its found count is the total. */
import { describe, expect, it } from 'vitest';
import { listingEnded } from '../../lib/sweep/progress.ts';
import type { TargetState } from '../../lib/sweep/state.ts';

/** a lane's checkpointed state, as much of it as the rule reads; no `end`: the target's last lane */
const lane = (target: number, n: number | undefined, done: boolean, end?: string) =>
  ({
    target: { index: target },
    ...(n === undefined ? {} : { lane: { target, lane: n, after: '', limit: 100, ...(end ? { end } : {}) } }),
    done,
  }) as unknown as TargetState;

describe('listingEnded', () => {
  it('is true only when every target has its last lane and every lane up to it done', () => {
    expect(listingEnded([lane(0, 0, true, 'k'), lane(0, 1, true)], 1)).toBe(true);
    expect(listingEnded([lane(0, undefined, true)], 1)).toBe(true); // a whole target, no lanes
    expect(listingEnded([lane(0, 0, true, 'k'), lane(0, 1, false)], 1)).toBe(false); // the last lane still lists
    expect(listingEnded([lane(0, 0, true, 'k')], 1)).toBe(false); // the last lane has recorded no page yet
    expect(listingEnded([lane(0, 0, true, 'k'), lane(0, 2, true)], 1)).toBe(false); // lane 1 has recorded nothing
    expect(listingEnded([lane(0, 1, true)], 1)).toBe(false); // lane 0 has recorded nothing
    expect(listingEnded([lane(0, 0, true)], 2)).toBe(false); // the second target has no checkpoint
    expect(listingEnded([lane(0, 0, true), lane(1, 0, true)], 2)).toBe(true);
    expect(listingEnded([], 0)).toBe(false);
  });

  it("is false while a sweep applying a plan runs: the dry run's lanes have no ends, the last is not known", () => {
    const applying = { ...lane(0, 0, true), sweep: { planId: 'sweep-dry' } } as unknown as TargetState;
    expect(listingEnded([applying], 1)).toBe(false);
  });
});
