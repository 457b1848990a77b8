/**
 * How big a target's lanes are (lib/sweep/lanes.ts laneSize): a large target in lanes of SweepLaneUploads, a smaller one
 * in enough lanes to fill SweepLanesAtOnce, none smaller than a page; the walk joins its pieces into about equal lanes.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cutLanes, laneSize } from '../../lib/sweep/lanes.ts';
import { SWEEP_SETTINGS_DEFAULTS } from '../../lib/settings.ts';

/** the deployed defaults: lanes of at most 50,000, at least a page (1,000), 20 at once */
const DEFAULTS = {
  laneUploads: SWEEP_SETTINGS_DEFAULTS.SweepLaneUploads,
  minLaneUploads: SWEEP_SETTINGS_DEFAULTS.SweepPageSize,
  lanesAtOnce: SWEEP_SETTINGS_DEFAULTS.SweepLanesAtOnce,
};
const keys = (n: number) => Array.from({ length: n }, (_, i) => `logs/${String(i).padStart(8, '0')}.gz`);
const cut = (n: number, maxLanes = 400) => cutLanes(keys(n), { ...DEFAULTS, maxLanes, maxBytes: 1_000_000 });

describe('laneSize', () => {
  it.each([
    [500, 1_000],
    [2_000, 1_000],
    [20_000, 1_000],
    [100_000, 5_000],
    [1_000_000, 50_000],
    [5_000_000, 50_000],
  ])('a target of %i listed uploads: lanes of %i (defaults: at most 50,000, at least a page, 20 at once)', (walked, size) => {
    expect(laneSize(walked, DEFAULTS)).toBe(size);
  });

  it('without a lower bound or lanes at once, every lane is laneUploads (lanes as a fixed size)', () => {
    expect(laneSize(2_000, { laneUploads: 40 })).toBe(40);
  });
});

describe('the walk cut with the defaults', () => {
  it.each([
    [500, 1, 500],
    [2_000, 2, 1_000],
    [20_000, 20, 1_000],
    [100_000, 20, 5_000],
  ])('%i uploads on distinct keys: %i lanes of %i', (n, lanes, each) => {
    // Act
    const cuts = cut(n);

    // Assert
    expect(cuts.map((lane) => lane.walked)).toEqual(Array(lanes).fill(each));
  });

  it('1,000,000 uploads: 20 lanes of 50,000, give or take a piece (the walk keeps 400 pieces at most: 4,000 uploads each)', () => {
    // Act
    const cuts = cut(1_000_000);

    // Assert
    expect(cuts).toHaveLength(20);
    for (const lane of cuts) expect(Math.abs(lane.walked - 50_000)).toBeLessThanOrEqual(4_000);
  });

  it('a large target whose pieces were merged under the lane cap still gives about equal lanes', () => {
    // Act: 1,000,000 uploads under a cap of 20 lanes per target (20 targets): pieces of 64,000 cannot make 50,000-upload lanes
    const cuts = cut(1_000_000, 20);

    // Assert
    expect(cuts.length).toBeLessThanOrEqual(20);
    expect(cuts.reduce((sum, lane) => sum + lane.walked, 0)).toBe(1_000_000);
    expect(Math.max(...cuts.map((lane) => lane.walked))).toBeLessThanOrEqual(64_000);
  });

  it('property: a target is cut into at most ceil(walked / laneSize) + 1 lanes, each but the last at least a piece', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3_000 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 30 }),
        (walked, laneUploads, minLaneUploads, lanesAtOnce) => {
          const options = { laneUploads, minLaneUploads, lanesAtOnce };
          const lanes = cutLanes(keys(walked), { ...options, maxLanes: 10_000, maxBytes: 10_000_000 });
          const size = laneSize(walked, options);
          expect(lanes.reduce((sum, lane) => sum + lane.walked, 0)).toBe(walked);
          expect(lanes.length).toBeLessThanOrEqual(Math.ceil(walked / size) + 1);
          for (const lane of lanes.slice(0, -1)) expect(lane.walked).toBeGreaterThanOrEqual(Math.min(laneUploads, minLaneUploads));
        },
      ),
      { numRuns: 300 },
    );
  });
});
