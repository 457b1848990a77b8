/**
 * A sweep's request rate per bucket (lib/sweep/rate.ts): each lane's share of the bucket's cap, AIMD on SlowDown, the
 * requests a page sent counted from its answers, and the wait that keeps them to the lane's rate.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { listPage } from '../../lib/sweep/list.ts';
import { recordPage } from '../../lib/sweep/record.ts';
import type { Page, PageAnswers } from '../../lib/sweep/page.ts';
import { checkpointId, type TargetState } from '../../lib/sweep/state.ts';
import { deps, docMock, listEvent, resetMocks, s3Mock, state, uploads } from '../support/sweep-steps.ts';
import { SWEEP_SETTINGS_DEFAULTS } from '../../lib/settings.ts';
import { DEFAULT_RUN_SETTINGS } from '../../lib/sweep/state.ts';
import { sweepTable } from '../../lib/cli/sweep.ts';
import {
  targetRate,
  countSlowDowns,
  DECREASE,
  FLOOR,
  laneShare,
  nextRate,
  pageRequests,
  pageRoomForRate,
  paceSeconds,
  type LaneRate,
} from '../../lib/sweep/rate.ts';

const share = (aborts: number, reads: number): LaneRate => ({ aborts, reads, share: { aborts, reads }, slowDowns: 0, lastSlowDowns: 0 });

describe('the rate per bucket', () => {
  it("defaults to half of S3's per-prefix rates: 1,750 aborts and 2,750 reads a second", () => {
    expect(SWEEP_SETTINGS_DEFAULTS).toMatchObject({ SweepAbortsPerSecond: 1750, SweepReadsPerSecond: 2750 });
    expect(DEFAULT_RUN_SETTINGS).toMatchObject({ abortsPerSecond: 1750, readsPerSecond: 2750 });
  });

  it('gives each lane an equal share: the rate ÷ the lanes that may run at once (SweepLanesAtOnce, or fewer lanes)', () => {
    // Arrange, Act, Assert: 20 at once of 400 lanes; 3 lanes in all; one lane; no cap set
    expect(laneShare(DEFAULT_RUN_SETTINGS, 400)).toMatchObject({ aborts: 87.5, reads: 137.5, share: { aborts: 87.5, reads: 137.5 } });
    expect(laneShare(DEFAULT_RUN_SETTINGS, 3)).toMatchObject({ aborts: 583.33, reads: 916.67 });
    expect(laneShare(DEFAULT_RUN_SETTINGS, 1)).toMatchObject({ aborts: 1750, reads: 2750 });
    expect(laneShare(DEFAULT_RUN_SETTINGS)).toMatchObject({ aborts: 87.5 });
    expect(laneShare({ ...DEFAULT_RUN_SETTINGS, abortsPerSecond: undefined })).toBeUndefined();
  });

  it('holds the cap over every lane that can run at once, whatever their buckets', () => {
    for (const lanes of [1, 2, 7, 20, 21, 400]) {
      const lane = laneShare(DEFAULT_RUN_SETTINGS, lanes)!;
      const atOnce = Math.min(lanes, DEFAULT_RUN_SETTINGS.lanesAtOnce);
      expect(lane.aborts * atOnce).toBeLessThanOrEqual(1750 + 0.01 * atOnce);
      expect(lane.reads * atOnce).toBeLessThanOrEqual(2750 + 0.01 * atOnce);
    }
  });

  it('halves the rate once for a page that met SlowDowns, from the rate it measured if lower (multiplicative decrease)', () => {
    const full = share(100, 200);
    expect(nextRate(full, { slowDowns: 7 })).toMatchObject({ aborts: 50, reads: 100, slowDowns: 7, lastSlowDowns: 7 });
    // the page sent 40 aborts a second under a cap of 100: the new rate is half of what it sent
    expect(nextRate(full, { slowDowns: 1, measured: { aborts: 40, reads: 300 } })).toMatchObject({ aborts: 20, reads: 100 });
    // never below the floor
    let rate = full;
    for (let i = 0; i < 20; i += 1) rate = nextRate(rate, { slowDowns: 1 });
    expect(rate.aborts).toBeCloseTo(100 * FLOOR, 1);
    expect(rate.reads).toBeCloseTo(200 * FLOOR, 1);
    expect(rate.slowDowns).toBe(20);
  });

  it('adds a tenth of the share back per page without SlowDown, up to the share (additive increase)', () => {
    const lowered = nextRate(share(100, 200), { slowDowns: 3 });
    expect(lowered.aborts).toBe(100 * DECREASE);
    const steps = [];
    let rate = lowered;
    for (let i = 0; i < 7; i += 1) {
      rate = nextRate(rate, { slowDowns: 0 });
      steps.push(rate.aborts);
    }
    expect(steps).toEqual([60, 70, 80, 90, 100, 100, 100]);
    expect(rate).toMatchObject({ reads: 200, slowDowns: 3, lastSlowDowns: 0 });
  });

  it("counts the page's SlowDowns from its aborts' answers", () => {
    expect(countSlowDowns({ aborted: ['sent', 'SlowDown', 'gone', 'SlowDown'], abortedAgain: ['-', 'SlowDown', '-', 'sent'] })).toBe(3);
    expect(countSlowDowns({ aborted: ['sent', 'S3.S3Exception'] })).toBe(0);
    expect(countSlowDowns({})).toBe(0);
  });

  it('counts the requests a page sent: aborts sent, the ListParts each needed, and the List step’s reads', () => {
    // 4 first aborts (one gone: no ListParts), 2 second aborts (one gone), 3 reads of the List step
    const answers = { aborted: ['sent', 'gone', 'SlowDown', 'sent'], abortedAgain: ['-', '-', 'sent', 'gone'] };
    expect(pageRequests(answers, 3)).toEqual({ aborts: 6, reads: 3 + 3 + 1 });
    expect(pageRequests({}, 2)).toEqual({ aborts: 0, reads: 2 });
  });

  it('waits the whole seconds that bring the page to its rate and carries the rest to the next page; nothing when it was slower', () => {
    // 11.43 s for the aborts, 6 s spent
    expect(paceSeconds({ aborts: 1000, reads: 1001 }, { aborts: 87.5, reads: 137.5 }, 6)).toEqual({ seconds: 5, owed: 0.429 });
    expect(paceSeconds({ aborts: 449, reads: 450 }, { aborts: 87.5, reads: 137.5 }, 5.95)).toEqual({ seconds: 0, owed: 0 });
    // the reads bind: 3 s for 30 reads
    expect(paceSeconds({ aborts: 10, reads: 30 }, { aborts: 10, reads: 10 }, 0.5)).toEqual({ seconds: 2, owed: 0.5 });
    // five pages each 0.2 s short wait one second in all; a slow page pays off what was owed and banks nothing
    let owed = 0;
    const waits = [];
    for (let page = 0; page < 5; page += 1) {
      const paced = paceSeconds({ aborts: 10, reads: 10 }, { aborts: 10, reads: 10, owed }, 0.8);
      waits.push(paced.seconds);
      owed = paced.owed;
    }
    expect(waits).toEqual([0, 0, 0, 0, 1]);
    expect(paceSeconds({ aborts: 10, reads: 10 }, { aborts: 10, reads: 10, owed: 0.6 }, 5)).toEqual({ seconds: 0, owed: 0 });
  });

  it('cuts a page to what its rate lets it do in the time left', () => {
    expect(pageRoomForRate(undefined, 240, 1)).toBeUndefined();
    expect(pageRoomForRate({ aborts: 87.5, reads: 137.5 }, 240, 1)).toBe(5250);
    // at the floor after six halvings, with the measure: 2 reads an upload
    expect(pageRoomForRate({ aborts: 1.37, reads: 2.15 }, 240, 2)).toBe(64);
    expect(pageRoomForRate({ aborts: 0.01, reads: 0.01 }, 1, 1)).toBe(1);
  });
});

describe("a target's rate in the sweep's results", () => {
  it("sums its lanes' rates, shares and SlowDowns; the CLI shows it on the target's line", () => {
    // Arrange: two lanes of one target, one lowered by SlowDowns
    const lanes = [nextRate(share(100, 200), { slowDowns: 3 }), share(100, 200)];

    // Act
    const rate = targetRate(lanes)!;

    // Assert
    expect(rate).toEqual({ aborts: 150, reads: 300, share: { aborts: 200, reads: 400 }, slowDowns: 3 });
    expect(targetRate([])).toBeUndefined();
    expect(sweepTable({ id: 's', status: 'COMPLETED', targetResults: [{ bucket: 'data-a', status: 'SWEPT', rate }] } as never)).toMatch(
      /target data-a\s+SWEPT; ended at 150 aborts\/s, 300 reads\/s of 200\/400 after 3 SlowDowns/,
    );
  });
});

describe("a lane's rate through its steps", () => {
  beforeEach(() => {
    resetMocks();
  });
  const all = (n: number, v: string) => Array.from({ length: n }, () => v);
  const page = (n: number, reads: number): Page => ({
    listedAt: '2026-11-22T11:59:58.000Z', // 2 s before the clock of deps
    waitSeconds: 5,
    uploads: Array.from({ length: n }, (_, i) => ({ k: `k-${i}`, u: `U${i}` })),
    decided: [],
    listed: n,
    busy: 0,
    cursor: { keyMarker: `k-${n}`, uploadIdMarker: `U${n}` },
    last: false,
    truncated: false,
    reads,
  });
  const recorded = (s: TargetState, p: Page, answers: PageAnswers) =>
    recordPage(deps, { action: 'page', state: s, parent: 'target-exec', page: p, answers, runStartedAt: '2026-11-22T11:59:50Z' });

  it("starts each lane at its share of the bucket's rate (the sweep's lanes, at most SweepLanesAtOnce)", async () => {
    // Arrange: the first state sweep-uploads gives a lane of a sweep of 4 lanes
    const { sweep, target } = state({}, { abortsPerSecond: 100, readsPerSecond: 200 });
    s3Mock.on(ListMultipartUploadsCommand).resolves({ Uploads: uploads(3), IsTruncated: false });

    // Act
    const listed = await listPage(deps, { ...listEvent(state()), state: { sweep, target, lanesOfSweep: 4 } });

    // Assert: a quarter each, and the page counts its one ListMultipartUploads
    expect(listed.state.rate).toEqual({ aborts: 25, reads: 50, share: { aborts: 25, reads: 50 }, slowDowns: 0, lastSlowDowns: 0 });
    expect(listed.page.reads).toBe(1);
  });

  it('halves the rate after a page S3 answered SlowDown, waits what the page needs at the new rate, and gains it back page by page', async () => {
    // Arrange: a lane at 10 aborts and 20 reads a second; 20 uploads, 4 aborts answered SlowDown, aborted again
    const start = state({ rate: share(10, 20) });
    const answers: PageAnswers = {
      aborted: [...all(16, 'sent'), ...all(4, 'SlowDown')],
      verified: { answers: [...all(16, 'gone'), ...all(4, 'parts')], kinds: ['gone', 'parts'] },
      abortedAgain: [...all(16, '-'), ...all(4, 'sent')],
      verifiedAgain: [...all(16, '-'), ...all(4, 'gone')],
    };

    // Act
    const slowed = await recorded(start, page(20, 1), answers);

    // Assert: 24 aborts (12/s: half the cap of 10) and 1 + 20 + 4 reads (12.5/s: half of that) in 2 s; at 5 aborts/s
    // they take 4.8 s: 2 s more now, 0.8 s owed; every upload ABORTED
    expect(slowed.state.rate).toMatchObject({ aborts: 5, reads: 6.25, slowDowns: 4, lastSlowDowns: 4, owed: 0.8 });
    expect(slowed.paceSeconds).toBe(2);
    expect(slowed.state.pace).toEqual({ uploads: 20, seconds: 4 });
    expect(slowed.state.totals).toMatchObject({ aborted: 20, failed: 0 });
    // a page that aborted writes its checkpoint in one transaction with the ledger's marker and ADD
    const [checkpoint] = docMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(checkpoint!.Put).toMatchObject({
      Item: expect.objectContaining({ id: checkpointId('sweep-1', 0), state: expect.objectContaining({ rate: slowed.state.rate }) }),
    });

    // Act: a clean page
    const clean = await recorded(slowed.state, page(2, 1), { aborted: all(2, 'sent'), verified: { answers: all(2, 'gone'), kinds: ['gone'] } });

    // Assert: a tenth of the share back; 2 aborts at 6/s in 2 s need no wait, and pay off what was owed
    expect(clean.state.rate).toMatchObject({ aborts: 6, reads: 8.25, slowDowns: 4, lastSlowDowns: 0 });
    expect(clean.state.rate?.owed).toBeUndefined();
    expect(clean.paceSeconds).toBe(0);
  });

  it('waits nothing after the last page of the lane, and without a rate (a checkpoint from before the cap)', async () => {
    const answers = { aborted: all(20, 'sent'), verified: { answers: all(20, 'gone'), kinds: ['gone'] } };
    expect((await recorded(state({ rate: share(1, 1) }), { ...page(20, 1), last: true }, answers)).paceSeconds).toBe(0);
    const unrated = await recorded(state(), page(20, 1), answers);
    expect(unrated.paceSeconds).toBe(0);
    expect(unrated.state.rate).toBeUndefined();
  });
});
