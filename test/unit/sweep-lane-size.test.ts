/**
 * How big a target's lanes are (lib/sweep/lanes.ts laneSize): a large target in lanes of SweepLaneUploads, a smaller one
 * in enough lanes to fill SweepLanesAtOnce, none smaller than MIN_LANE_PAGES pages; the walk joins its pieces into about
 * equal lanes.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { cutLanes, laneSize, MIN_LANE_PAGES, walkLanes } from '../../lib/sweep/lanes.ts';
import { SWEEP_SETTINGS_DEFAULTS } from '../../lib/settings.ts';
import { deps, OLD, resetMocks, s3Mock, state } from '../support/sweep-steps.ts';

beforeEach(() => {
  resetMocks();
});

/** the deployed defaults: lanes of at most 50,000, at least 10 pages (10,000), 20 at once */
const DEFAULTS = {
  laneUploads: SWEEP_SETTINGS_DEFAULTS.SweepLaneUploads,
  minLaneUploads: MIN_LANE_PAGES * SWEEP_SETTINGS_DEFAULTS.SweepPageSize,
  lanesAtOnce: SWEEP_SETTINGS_DEFAULTS.SweepLanesAtOnce,
};
const keys = (n: number) => Array.from({ length: n }, (_, i) => `logs/${String(i).padStart(8, '0')}.gz`);
const cut = (n: number, maxLanes = 400) => cutLanes(keys(n), { ...DEFAULTS, maxLanes, maxBytes: 1_000_000 });

describe('laneSize', () => {
  it.each([
    [2_000, 10_000],
    [20_000, 10_000],
    [200_000, 10_000],
    [500_000, 25_000],
    [1_000_000, 50_000],
    [5_000_000, 50_000],
  ])('a target of %i listed uploads: lanes of %i (defaults: at most 50,000, at least 10 pages, 20 at once)', (walked, size) => {
    expect(laneSize(walked, DEFAULTS)).toBe(size);
  });

  it('without a lower bound or lanes at once, every lane is laneUploads (lanes as a fixed size)', () => {
    expect(laneSize(2_000, { laneUploads: 40 })).toBe(40);
  });
});

describe('the walk cut with the defaults', () => {
  it.each([
    [2_000, 1, 2_000],
    [20_000, 2, 10_000],
    [100_000, 10, 10_000],
    [200_000, 20, 10_000],
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

  it('a large target under a lower lane cap: pieces double until they fit it, the lanes stay whole pieces and cover the walk', () => {
    // Act: 1,000,000 uploads under a cap of 20 lanes per target (20 targets): pieces of 10,000 double to 80,000
    const cuts = cut(1_000_000, 20);

    // Assert
    expect(cuts.map((lane) => lane.walked)).toEqual([...Array(12).fill(80_000), 40_000]);
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

describe('walkLanes', () => {
  it('cuts a target smaller than SweepLaneUploads × SweepLanesAtOnce into lanes of MIN_LANE_PAGES pages that fill SweepLanesAtOnce', async () => {
    // Arrange: pages of 2 (lanes of at least 20), lanes of at most 1,000, 5 at once; 100 uploads on distinct keys
    const { sweep, target } = state({}, { pageUploads: 2, laneUploads: 1_000, lanesAtOnce: 5 });
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: keys(100).map((Key, i) => ({ Key, UploadId: `U${i}`, Initiated: OLD })) });

    // Act
    const { lanes, walked } = await walkLanes(deps, { sweep, target, targets: 1 });

    // Assert
    expect(walked).toBe(100);
    expect(lanes).toHaveLength(5);
    expect(lanes.map((lane) => lane.end)).toEqual([keys(100)[19], keys(100)[39], keys(100)[59], keys(100)[79], undefined]);
  });
});
