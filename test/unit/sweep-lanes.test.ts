/**
 * Lanes (lib/sweep/lanes.ts): the cut at key boundaries, the walk against a mocked S3 (its listing in UTF-8 byte order,
 * as S3 lists a general purpose bucket), a lane's listing stopping past its end key, the caps (lanes, bytes, history)
 * and the per-target result of a target's lanes.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import 'aws-sdk-client-mock-vitest/extend';
import { ListMultipartUploadsCommand, S3ServiceException, type MultipartUpload } from '@aws-sdk/client-s3';
import { cutLanes, LANE_BYTES, LaneCutter, walkLanes, WALK_SECONDS, type LanesEvent } from '../../lib/sweep/lanes.ts';
import { listPage } from '../../lib/sweep/list.ts';
import { utf8Order } from '../../lib/upload-order.ts';
import { targetResult } from '../../lib/sweep/finish.ts';
import { jsonBytes } from '../../lib/sweep/page.ts';
import { planSweepRun, MAX_MAX_UPLOADS, MAX_TARGETS } from '../../lib/sweep/plan.ts';
import { uploadsPerPage, WORST_UPLOAD } from '../bench/cost.ts';
import {
  DEFAULT_RUN_SETTINGS,
  emptyTotals,
  HISTORY_EVENTS,
  MAX_LANES,
  type Lane,
  type SweepContext,
  type SweepTargetPlan,
  type TargetState,
} from '../../lib/sweep/state.ts';
import { SWEEP_SETTINGS_DEFAULTS } from '../../lib/settings.ts';
import { deps, OLD, resetMocks, s3Mock, state } from '../support/sweep-steps.ts';

const sweep = (laneUploads: number): SweepContext => state({}, { laneUploads, handoversPerPage: DEFAULT_RUN_SETTINGS.handoversPerPage }).sweep;
const target = (overrides: Partial<SweepTargetPlan> = {}): SweepTargetPlan => ({ ...state().target, ...overrides });
const walkEvent = (laneUploads: number, t: Partial<SweepTargetPlan> = {}, targets = 1): LanesEvent => ({
  sweep: sweep(laneUploads),
  target: target(t),
  targets,
});

/** keys in S3's order (UTF-8 bytes), each with its uploads */
const listing = (keys: Array<[string, number]>): MultipartUpload[] =>
  [...keys]
    .sort(([a], [b]) => utf8Order(a, b))
    .flatMap(([Key, n]) => Array.from({ length: n }, (_, i) => ({ Key, UploadId: `${Key}~${String(i).padStart(3, '0')}`, Initiated: OLD })));

/** which lane a key belongs to, by the lanes' bounds alone (what S3's KeyMarker and the end key give) */
const laneOf = (lanes: Lane[], key: string) =>
  lanes.findIndex((lane) => (lane.after === '' || utf8Order(key, lane.after) > 0) && (lane.end === undefined || utf8Order(key, lane.end) <= 0));

beforeEach(() => {
  resetMocks();
});

describe('cutLanes', () => {
  it('ends a lane after all the uploads of its last key: a key with many uploads is never split', () => {
    // Arrange: 3 uploads of a, 7 of b, 1 of c, 4 of d
    const keys = [...Array(3).fill('a'), ...Array(7).fill('b'), 'c', ...Array(4).fill('d')];

    // Act
    const lanes = cutLanes(keys, { laneUploads: 4, maxLanes: 100, maxBytes: 100_000, maxUploads: 1000 });

    // Assert: a+b (10: b passes the size but stays whole), c+d (5)
    expect(lanes).toEqual([
      { target: 0, lane: 0, after: '', end: 'b', limit: 1000, walked: 10 },
      { target: 0, lane: 1, after: 'b', limit: 990, walked: 5 },
    ]);
  });

  it('stops at maxUploads: the last lane has no end key and a limit of what maxUploads leaves', () => {
    const lanes = cutLanes(['a', 'b', 'c', 'd', 'e', 'f', 'g'], { laneUploads: 2, maxLanes: 100, maxBytes: 100_000, maxUploads: 5 });
    expect(lanes.map(({ after, end, limit, walked }) => ({ after, end, limit, walked }))).toEqual([
      { after: '', end: 'b', limit: 5, walked: 2 },
      { after: 'b', end: 'd', limit: 3, walked: 2 },
      { after: 'd', end: undefined, limit: 1, walked: 1 },
    ]);
  });

  it('merges lanes two by two past maxLanes, doubling the lane size', () => {
    const keys = Array.from({ length: 100 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    const lanes = cutLanes(keys, { laneUploads: 5, maxLanes: 4, maxBytes: 100_000 });
    expect(lanes.length).toBeLessThanOrEqual(4);
    expect(lanes.reduce((sum, l) => sum + l.walked, 0)).toBe(100);
    expect(Math.max(...lanes.map((l) => l.walked))).toBeLessThanOrEqual(40);
  });

  it('property: lanes are disjoint, cover exactly the walked listing, keep keys whole, and stay within the lane size, the caps and the bytes', () => {
    const key = fc.oneof(
      fc.constantFrom('a', 'é', '\uE000', '\u{1F600}', 'z', 'ab', 'a/b', '\u0001'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, fc.integer({ min: 1, max: 6 })), { maxLength: 80 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 64, max: 4000 }),
        fc.integer({ min: 1, max: 500 }),
        (pairs, laneUploads, maxLanes, maxBytes, maxUploads) => {
          const unique = [...new Map(pairs).entries()];
          const uploads = listing(unique).slice(0, maxUploads);
          const lanes = cutLanes(
            uploads.map((u) => u.Key!),
            { laneUploads, maxLanes, maxBytes, maxUploads },
          );
          // contiguous bounds: each lane starts where the one before ended; only the last has no end
          expect(lanes[0].after).toBe('');
          for (const [i, lane] of lanes.slice(1).entries()) expect(lane.after).toBe(lanes[i].end);
          expect(lanes.filter((l) => l.end === undefined).map((l) => l.lane)).toEqual([lanes.length - 1]);
          // every walked upload in exactly the lane its key's bounds name, as many as the lane says
          const counted = lanes.map(() => 0);
          for (const upload of uploads) counted[laneOf(lanes, upload.Key!)] += 1;
          expect(counted).toEqual(lanes.map((l) => l.walked));
          expect(lanes.reduce((sum, l) => sum + l.walked, 0)).toBe(uploads.length);
          // limits: maxUploads less what the lanes before walked
          for (const [i, lane] of lanes.entries()) expect(lane.limit).toBe(maxUploads - lanes.slice(0, i).reduce((sum, l) => sum + l.walked, 0));
          // caps: lanes, and the descriptors' bytes (a single lane always fits)
          expect(lanes.length).toBeLessThanOrEqual(maxLanes);
          const descriptors = lanes.map(({ walked: _, ...lane }) => ({ ...lane, target: 19, lane: 399, limit: 1_000_000 }));
          if (lanes.length > 1) expect(jsonBytes(descriptors)).toBeLessThanOrEqual(maxBytes);
          // size: without merges, a lane closes at the first key boundary past the size (its last key may carry it further)
          if (maxLanes >= uploads.length + 1 && maxBytes >= 4000 && lanes.length > 1) {
            for (const lane of lanes.slice(0, -1)) {
              const lastKey = uploads.filter((u) => u.Key === lane.end).length;
              expect(lane.walked).toBeLessThanOrEqual(laneUploads - 1 + lastKey);
              expect(lane.walked).toBeGreaterThanOrEqual(laneUploads);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('walkLanes', () => {
  it('walks 1,000 uploads a call, markers only, and cuts the listing at key boundaries', async () => {
    // Arrange: 2,500 uploads over 1,000 keys (moto-like: the whole listing in every answer; listUploads pages it as S3 does)
    const all = listing(Array.from({ length: 1000 }, (_, i) => [`k-${String(i).padStart(4, '0')}`, 1 + (i % 4)] as [string, number]));
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: all });

    // Act
    const result = await walkLanes(deps, walkEvent(600));

    // Assert
    expect(result.walked).toBe(2500);
    expect(result.calls).toBe(3);
    expect(result.lanes).toHaveLength(5);
    expect(result.lanes.map((lane) => lane.lane)).toEqual([0, 1, 2, 3, 4]);
    const calls = s3Mock.commandCalls(ListMultipartUploadsCommand).map((c) => c.args[0].input);
    expect(calls[0]).toEqual({ Bucket: 'data-a', ExpectedBucketOwner: '111122223333', MaxUploads: 1000 });
    expect(calls[1]).toMatchObject({ MaxUploads: 1000, KeyMarker: all[999].Key, UploadIdMarker: all[999].UploadId });
    for (const lane of result.lanes.slice(0, -1)) {
      // the end key's uploads all in the lane: the next upload has another key
      const lastIndex = all.findLastIndex((u) => u.Key === lane.end);
      expect(all[lastIndex + 1].Key).not.toBe(lane.end);
    }
  });

  it('never splits a directory bucket (its listing is not in key order): one lane, nothing listed', async () => {
    const result = await walkLanes(deps, walkEvent(1, { bucket: 'fast--usw2-az1--x-s3' }));
    expect(result).toEqual({ lanes: [{ target: 0, lane: 0, after: '', limit: 100_000 }], walked: 0, calls: 0, unsplit: 'DirectoryBucket' });
    expect(s3Mock).not.toHaveReceivedCommand(ListMultipartUploadsCommand);
  });

  it('gives the whole target one lane on a permanent error (the sweep records it), and throws a transient one for a retry', async () => {
    // Arrange
    const s3Error = (name: string, status: number, message: string) =>
      new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message });
    s3Mock
      .on(ListMultipartUploadsCommand)
      .rejectsOnce(s3Error('NoSuchBucket', 404, 'The specified bucket does not exist'))
      .rejectsOnce(s3Error('SlowDown', 503, 'Please reduce your request rate.'));

    // Act + Assert
    expect(await walkLanes(deps, walkEvent(10, { index: 3, maxUploads: 77 }))).toEqual({
      lanes: [{ target: 3, lane: 0, after: '', limit: 77 }],
      walked: 0,
      calls: 0,
      unsplit: 'NoSuchBucket',
    });
    await expect(walkLanes(deps, walkEvent(10))).rejects.toMatchObject({ name: 'SlowDown' });
  });

  it('shares MAX_LANES among the targets, and leaves the rest of the listing to the last lane when its time is up', async () => {
    // Arrange
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: listing(Array.from({ length: 3000 }, (_, i) => [`k${String(i).padStart(5, '0')}`, 1])) });
    let clock = 0;
    const slow = {
      ...deps,
      now: () => {
        // 400 s between two readings
        clock += 400;
        return new Date(clock * 1000);
      },
    };

    // Act
    const shared = await walkLanes(deps, walkEvent(1, {}, MAX_TARGETS));
    const timed = await walkLanes(slow, walkEvent(100));

    // Assert
    expect(shared.lanes.length).toBeLessThanOrEqual(MAX_LANES / MAX_TARGETS);
    expect(WALK_SECONDS).toBeLessThan(900); // the Lambda's timeout (serverless.yml)
    expect(timed).toMatchObject({ calls: 2, walked: 2000, unsplit: 'WalkTimeUp' });
    expect(timed.lanes.at(-1)!.end).toBeUndefined();
    expect(timed.lanes.at(-1)!.limit).toBeGreaterThan(100_000 - 2000);
  });
});

describe("a lane's listing", () => {
  it('stops at the first key past its end key in UTF-8 byte order (U+1F600 sorts after U+E000 in S3, before it in JavaScript)', async () => {
    // Arrange: S3's order: a, é, U+E000, U+1F600
    const all = listing([
      ['a', 1],
      ['é', 2],
      ['\uE000', 2],
      ['\u{1F600}', 1],
    ]);
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: all });
    const lanes = cutLanes(
      all.map((u) => u.Key!),
      { laneUploads: 4, maxLanes: 10, maxBytes: 10_000 },
    );
    expect(lanes.map((l) => l.end)).toEqual(['\uE000', undefined]);
    const first = (lane: Lane) => ({ sweep: sweep(4), target: target(), lane });

    // Act
    const one = await listPage(deps, { state: first(lanes[0]), parent: 'p', run: 'r', runStartedAt: '2026-11-22T12:00:00Z' });
    const two = await listPage(deps, { state: first(lanes[1]), parent: 'p', run: 'r', runStartedAt: '2026-11-22T12:00:00Z' });

    // Assert
    expect(one.page.uploads.map((u) => u.k)).toEqual(['a', 'é', 'é', '\uE000', '\uE000']);
    expect(one.page).toMatchObject({ listed: 5, last: true, truncated: false });
    expect(two.page.uploads.map((u) => u.k)).toEqual(['\u{1F600}']);
    expect(s3Mock.commandCalls(ListMultipartUploadsCommand)[1].args[0].input).toMatchObject({ KeyMarker: '\uE000', UploadIdMarker: undefined });
  });

  it('truncates the last lane at its limit, as maxUploads truncates a target', async () => {
    s3Mock.on(ListMultipartUploadsCommand).resolves({
      Uploads: listing([
        ['a', 3],
        ['b', 3],
      ]),
    });
    const { page } = await listPage(deps, {
      state: { sweep: sweep(4), target: target({ maxUploads: 5 }), lane: { target: 0, lane: 1, after: 'a', limit: 2 } },
      parent: 'p',
      run: 'r',
      runStartedAt: '2026-11-22T12:00:00Z',
    });
    expect(page).toMatchObject({ listed: 2, truncated: true, last: false });
  });
});

describe("a target's result from its lanes", () => {
  const laneState = (lane: number, overrides: Partial<TargetState>): TargetState => ({
    sweep: sweep(4),
    target: target(),
    cursor: { keyMarker: '', uploadIdMarker: '' },
    done: true,
    truncated: false,
    totals: { ...emptyTotals(), listed: 10, found: 10, aborted: 10, pages: 2 },
    seq: 2,
    slice: { execution: '', run: '', events: 0, full: false },
    handovers: [],
    recoveries: 0,
    lane: { target: 0, lane, after: '', limit: 100 },
    ...overrides,
  });

  it.each([
    [[{}, {}], 'SWEPT'],
    [[{}, { truncated: true }], 'TRUNCATED'],
    [[{ done: false }, { truncated: true }], 'UNFINISHED'],
    [[{ error: { error: 'AccessDenied', cause: 'no' } }, { done: false }], 'FAILED'],
  ] as Array<[Array<Partial<TargetState>>, string]>)('%j → %s, totals summed', (overrides, status) => {
    const result = targetResult(
      target(),
      overrides.map((o, i) => laneState(i, o)),
    );
    expect(result).toMatchObject({ status, lanes: 2, listed: 20, aborted: 20, pages: 4 });
  });

  it("reports a lane without a checkpoint as the target's failure", () => {
    expect(targetResult(target(), [laneState(0, {}), undefined])).toMatchObject({ status: 'FAILED', error: 'NoCheckpoint', lanes: 2, aborted: 10 });
  });
});

describe('limits of sweep-uploads with lanes', () => {
  it('keeps its history far below 25,000 events with 20 targets of 1,000,000 worst-shape uploads in MAX_LANES lanes', () => {
    // 20 × 1,000,000 / 50,000 = 400 lanes: MAX_LANES
    expect((MAX_TARGETS * MAX_MAX_UPLOADS) / SWEEP_SETTINGS_DEFAULTS.SweepLaneUploads).toBe(MAX_LANES);
    // pages of the worst shape (1,024-byte keys escaped 6×, measured), one per page execution (the least a run does)
    const pages = Math.ceil((MAX_TARGETS * MAX_MAX_UPLOADS) / uploadsPerPage({ ...WORST_UPLOAD, measure: true }));
    const slices = Math.ceil((pages * HISTORY_EVENTS.pageRun) / SWEEP_SETTINGS_DEFAULTS.SweepSliceEvents) + MAX_LANES; // each lane's last slice is partial
    const events =
      HISTORY_EVENTS.sweepFixed +
      MAX_TARGETS * HISTORY_EVENTS.walkWorst +
      MAX_LANES * (HISTORY_EVENTS.lane + HISTORY_EVENTS.laneGiveUp) +
      (slices - MAX_LANES) * HISTORY_EVENTS.laneSlice;
    console.log(`sweep-uploads worst case: ${MAX_LANES} lanes, ${pages} pages, ${slices} slices → ${events} history events`);
    expect(events).toBeLessThan(20_000);
  });

  it('keeps its largest state (the plan of 20 worst targets and every lane) below 256 KiB', () => {
    // Arrange: 20 targets, 63-character buckets, 1,024-byte prefixes of the characters JSON escapes most that a prefix
    // may hold (`"`, 2×: control characters are refused), 12-digit owners
    const plan = planSweepRun({
      request: {
        targets: Array.from({ length: MAX_TARGETS }, (_, i) => ({
          bucket: `${'b'.repeat(60)}-${String(i).padStart(2, '0')}`,
          prefix: `${String(i).padStart(2, '0')}${'"'.repeat(1022)}`,
          olderThan: '36500d',
          expectedBucketOwner: '111122223333',
        })),
        maxUploads: MAX_MAX_UPLOADS,
      },
      startTime: '2026-11-22T12:00:00Z',
      executionArn: `arn:aws:states:us-east-1:111122223333:execution:${'n'.repeat(80)}:${'x'.repeat(80)}`,
      settings: sweep(1).settings,
    });
    // every target's lanes up to its byte budget (keys escaped 6×, short enough that many lanes fill it)
    const cutter = new LaneCutter({ laneUploads: 1, maxLanes: MAX_LANES / MAX_TARGETS, maxBytes: LANE_BYTES / MAX_TARGETS });
    for (let i = 0; i < 1000; i += 1) cutter.add(`${String(i).padStart(4, '0')}${'\u0001'.repeat(16)}`);
    const lanes = Array.from({ length: MAX_TARGETS }, (_, t) =>
      cutter.lanes(t, MAX_MAX_UPLOADS).map(({ walked: _, ...lane }) => ({ ...lane, lane: 399 })),
    ).flat();

    // Act: "Gather the lanes" (its input holds the Map's results, its output the flat list), "Finish sweep"'s payload
    const gathered = jsonBytes({ plan, lanes });
    const walks = jsonBytes({ plan, walks: Array.from({ length: MAX_TARGETS }, (_, t) => ({ lanes: lanes.filter((l) => l.target === t) })) });
    const finish = jsonBytes({ sweep: plan.sweep, targets: plan.targets, lanes });

    // Assert
    console.log(`sweep-uploads' largest state: ${gathered} bytes (plan ${jsonBytes(plan)}, ${lanes.length} lanes ${jsonBytes(lanes)})`);
    expect(lanes.length).toBeGreaterThan(MAX_TARGETS);
    expect(jsonBytes(lanes)).toBeLessThanOrEqual(LANE_BYTES);
    expect(jsonBytes(lanes)).toBeGreaterThan(LANE_BYTES * 0.8);
    for (const bytes of [gathered, walks, finish]) expect(bytes).toBeLessThan(256 * 1024);
  });
});
