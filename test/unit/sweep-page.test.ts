/**
 * The page's byte budget against Step Functions' 256 KiB per state, in the worst case; and the sweep definitions
 * against the rules AWS enforces (and the strict local runtime will): ≤ 10 nested intrinsics per field, inline Map
 * concurrency ≤ 40, the Retry policy of DESIGN.md, no error names AWS never produces.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STATE_MACHINES, STATEMACHINES_DIR, SWEEP_SETTINGS_DEFAULTS } from '../../lib/settings.ts';
import { ANSWER_BYTES, jsonBytes, pageStateBytes, uploadBytes, type Page } from '../../lib/sweep/page.ts';
import { DEFAULT_RUN_SETTINGS, emptyTotals, type TargetState } from '../../lib/sweep/state.ts';
import { TYPICAL_UPLOAD, uploadsPerPage, WORST_UPLOAD } from '../bench/cost.ts';

const LIMIT = 256 * 1024;
/** a key of 1,024 bytes that JSON escapes to 6,144 (control characters: \u0001) */
const worstKey = (i: number) => `${String(i).padStart(4, '0')}${'\u0001'.repeat(1020)}`;
/** an upload id of 1,024 printable characters that JSON escapes to 2 bytes each */
const worstUploadId = (i: number) => `${String(i).padStart(4, '0')}${'"\\'.repeat(510)}`;

function worstState(): TargetState {
  return {
    sweep: {
      id: 'x'.repeat(80),
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:${'n'.repeat(80)}:${'x'.repeat(80)}`,
      startedAt: '2026-11-22T21:13:40.000Z',
      dryRun: false,
      measure: true,
      settings: { ...DEFAULT_RUN_SETTINGS },
    },
    target: {
      index: 19,
      bucket: 'b'.repeat(63),
      prefix: '\u0001'.repeat(1024),
      olderThan: '36500d',
      olderThanSeconds: 3_153_600_000,
      cutoff: '1926-11-22T21:13:40.000Z',
      expectedBucketOwner: '123456789012',
      maxUploads: 1_000_000,
    },
    cursor: { keyMarker: worstKey(9999), uploadIdMarker: worstUploadId(9999) },
    done: false,
    truncated: false,
    totals: emptyTotals(),
    seq: 99_999,
    slice: {
      execution: `arn:aws:states:us-east-1:123456789012:execution:${'n'.repeat(80)}:${'x'.repeat(80)}`,
      run: 'r'.repeat(200),
      events: 19_999,
      full: false,
    },
    handovers: [],
    recoveries: 0,
  };
}

describe('the page byte budget', () => {
  it('counts an upload by its exact JSON, escapes included, plus four answers', () => {
    expect(uploadBytes('a"b', 'U', false)).toBe(jsonBytes({ k: 'a"b', u: 'U' }) + 1 + 4 * (ANSWER_BYTES + 1));
    expect(uploadBytes(worstKey(0), 'U', false)).toBeGreaterThan(6 * 1020);
  });

  it('fills a page of the worst uploads to at most SweepPageBytes, and its state with every answer at its longest stays under 256 KiB', () => {
    // Arrange: as many worst uploads as the budget takes (what "List a page" does)
    const state = worstState();
    const page: Page = {
      listedAt: '2026-11-22T21:13:40.000Z',
      waitSeconds: 5,
      uploads: [],
      decided: [],
      listed: 1000,
      busy: 1000,
      cursor: state.cursor,
      last: false,
      truncated: false,
    };
    let budget = SWEEP_SETTINGS_DEFAULTS.SweepPageBytes - pageStateBytes(state, page);
    for (let i = 0; uploadBytes(worstKey(i), worstUploadId(i), true) <= budget; i += 1) {
      budget -= uploadBytes(worstKey(i), worstUploadId(i), true);
      page.uploads.push({ k: worstKey(i), u: worstUploadId(i), p: 10_000, b: 10_000 * 5 * 2 ** 30 });
    }
    const longest = 'S3.ServiceUnavailableException'; // the longest error name S3's Tasks give here
    expect(JSON.stringify(longest).length).toBeLessThanOrEqual(ANSWER_BYTES);
    const answers = page.uploads.map(() => longest);

    // Act: the largest state of the page execution (before "Record the page") and the Lambda's payload
    const largest = jsonBytes({
      state,
      parent: state.slice.execution,
      page,
      next: 'abort',
      answers: { aborted: answers, verified: { answers, kinds: [longest, 'gone', 'parts', 'empty'] }, abortedAgain: answers, verifiedAgain: answers },
    });

    // Assert
    expect(page.uploads.length).toBe(uploadsPerPage({ ...WORST_UPLOAD, measure: true }));
    expect(page.uploads.length).toBeGreaterThanOrEqual(15);
    expect(largest).toBeLessThanOrEqual(SWEEP_SETTINGS_DEFAULTS.SweepPageBytes);
    expect(largest).toBeLessThan(LIMIT * 0.8);
  });

  it('holds about 420 to 450 typical uploads a page (keys of 100 bytes, upload ids of 150 characters)', () => {
    expect(uploadsPerPage({ ...TYPICAL_UPLOAD, measure: true })).toBeGreaterThan(400);
    expect(uploadsPerPage({ ...TYPICAL_UPLOAD, measure: false })).toBeGreaterThan(uploadsPerPage({ ...TYPICAL_UPLOAD, measure: true }));
  });
});

type Retrier = { ErrorEquals: string[]; MaxAttempts?: number; JitterStrategy?: string; MaxDelaySeconds?: number };
type State = {
  Type: string;
  Resource?: string;
  Retry?: Retrier[];
  MaxConcurrency?: number;
  ItemProcessor?: { States: Record<string, State> };
  [field: string]: unknown;
};

function allStates(states: Record<string, State>): Array<[string, State]> {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, State],
    ...(state.ItemProcessor ? allStates(state.ItemProcessor.States) : []),
  ]);
}

/** every `.$` value of a state, at any depth */
function pathValues(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(pathValues);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) =>
      k.endsWith('.$') && typeof v === 'string' ? [v] : k === 'States' || k === 'ItemProcessor' ? [] : pathValues(v),
    );
  }
  return [];
}

describe.each(['sweepUploads', 'sweepTarget', 'sweepPage'] as const)('%s definition', (key) => {
  const definition = JSON.parse(readFileSync(STATEMACHINES_DIR + STATE_MACHINES[key].file, 'utf8')) as { States: Record<string, State> };
  const states = allStates(definition.States);

  it('nests at most 10 intrinsic functions in a field', () => {
    for (const [, state] of states)
      for (const path of pathValues(state)) expect((path.match(/States\.[A-Za-z]+\(/g) ?? []).length, path).toBeLessThanOrEqual(10);
  });

  it('runs inline Maps at most 40 at a time', () => {
    for (const [name, state] of states.filter(([, s]) => s.Type === 'Map')) {
      // "Sweep each lane" takes SweepLanesAtOnce from the plan's settings
      const most = state.MaxConcurrencyPath === '$.plan.sweep.settings.lanesAtOnce' ? SWEEP_SETTINGS_DEFAULTS.SweepLanesAtOnce : state.MaxConcurrency;
      expect(most, name).toBeLessThanOrEqual(40);
    }
  });

  it('retries every Task but the aborts with the policy: its permanent errors at 0, then States.ALL with capped backoff and full jitter', () => {
    for (const [name, state] of states.filter(([, s]) => s.Type === 'Task' && !s.Resource!.endsWith(':abortMultipartUpload'))) {
      const [permanent, all] = state.Retry ?? [];
      expect(permanent?.MaxAttempts, name).toBe(0);
      expect(all, name).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 5, MaxDelaySeconds: 20, JitterStrategy: 'FULL' });
    }
  });

  it('names no error AWS never gives (unmodeled S3 errors arrive as S3.S3Exception)', () => {
    const text = JSON.stringify(definition);
    expect(text).not.toMatch(/S3\.(SlowDown|ServiceUnavailable|InternalError|RequestTimeout|AccessDenied)Exception/);
  });
});
