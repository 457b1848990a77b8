/**
 * What a sweep carries from state to state, per target: the target's listing cursor, its exact totals, and what the
 * Standard execution that runs the target (sweep-target) has used of its history. Every sweep Lambda takes such a
 * state and returns the next one, computed from its input alone: a Lambda retried by Step Functions returns the same
 * totals again, so nothing is counted twice. After every page the state is also written as the target's checkpoint
 * (an item of the records table): the totals survive a failed page execution, and the sweep's final counters are
 * summed from the checkpoints.
 */
import type { AbortStatus } from '../records.ts';
import { ABORT_SETTINGS_DEFAULTS, SWEEP_SETTINGS_DEFAULTS } from '../settings.ts';
import type { PlannedTarget } from './plan.ts';
import type { LaneRate } from './rate.ts';

/** The sweep's settings, as the sweep-uploads definition passes them to the plan (DefinitionSubstitutions). */
export interface SweepRunSettings {
  /** MaxUploads of each ListMultipartUploads call, and the most uploads one page holds */
  pageUploads: number;
  /** the estimated size of a page execution's state, in bytes, that a page may not pass (AWS: 256 KiB per state) */
  pageBytes: number;
  /** one wait per page, after its aborts, for parts still in flight */
  waitSeconds: number;
  /** a page execution (Express, at most 5 minutes) starts no new page after this many seconds */
  runSeconds: number;
  /** a sweep-target execution hands the target back to sweep-uploads once its history holds about this many events */
  sliceEvents: number;
  /** stubborn uploads of one page handed to abort-upload (the rest is recorded as the page saw it) */
  handoversPerPage: number;
  /** a target's listing is cut into lanes of at most about this many listed uploads (lib/sweep/lanes.ts laneSize) */
  laneUploads: number;
  /** lanes swept at once: the MaxConcurrency of sweep-uploads' "Sweep each lane" (MaxConcurrencyPath) */
  lanesAtOnce: number;
  /** SweepAbortsPerSecond, SweepReadsPerSecond: the sweep's cap per bucket, shared by the lanes (lib/sweep/rate.ts); absent: no cap */
  abortsPerSecond?: number;
  readsPerSecond?: number;
  /** SweepActiveWithin: the activity guard's window when the request names none (absent: 0, no guard) */
  activeWithinSeconds?: number;
  retentionSeconds: number;
  /** SweepPlanMaxAge: a dry run's record and plan pages live at least this long (lib/sweep/plan-pages.ts) */
  planMaxAgeSeconds?: number;
}

/** The run settings a sweep gets from the deployed defaults (lib/settings.json), as sweep-uploads passes them. */
export const DEFAULT_RUN_SETTINGS: Readonly<SweepRunSettings> = Object.freeze({
  pageUploads: SWEEP_SETTINGS_DEFAULTS.SweepPageSize,
  pageBytes: SWEEP_SETTINGS_DEFAULTS.SweepPageBytes,
  waitSeconds: SWEEP_SETTINGS_DEFAULTS.SweepWaitSeconds,
  runSeconds: SWEEP_SETTINGS_DEFAULTS.SweepRunSeconds,
  sliceEvents: SWEEP_SETTINGS_DEFAULTS.SweepSliceEvents,
  handoversPerPage: SWEEP_SETTINGS_DEFAULTS.SweepHandoversPerPage,
  laneUploads: SWEEP_SETTINGS_DEFAULTS.SweepLaneUploads,
  lanesAtOnce: SWEEP_SETTINGS_DEFAULTS.SweepLanesAtOnce,
  abortsPerSecond: SWEEP_SETTINGS_DEFAULTS.SweepAbortsPerSecond,
  readsPerSecond: SWEEP_SETTINGS_DEFAULTS.SweepReadsPerSecond,
  planMaxAgeSeconds: SWEEP_SETTINGS_DEFAULTS.SweepPlanMaxAge,
  activeWithinSeconds: SWEEP_SETTINGS_DEFAULTS.SweepActiveWithin,
  retentionSeconds: ABORT_SETTINGS_DEFAULTS.RecordRetentionSeconds,
});

/** The sweep as every target's state names it: constant for the whole sweep. */
export interface SweepContext {
  id: string;
  executionArn: string;
  startedAt: string;
  dryRun: boolean;
  /** ListParts every upload before the abort: exact parts and bytes in the records (a LIST request per upload) */
  measure: boolean;
  /**
   * the activity guard: uploads that received a part within this many seconds are skipped (SKIPPED_ACTIVE); 0 or
   * absent: no guard. The guard needs every upload's ListParts, so it lists parts even when the sweep does not measure.
   */
  activeWithinSeconds?: number;
  settings: SweepRunSettings;
  /** a sweep that applies a dry run's plan: the dry run's id (its pages are the sweep's listing: lib/sweep/apply.ts) */
  planId?: string;
}

export interface SweepTargetPlan extends PlannedTarget {
  index: number;
  expectedBucketOwner: string;
  maxUploads: number;
}

/** Exact counts of one target (bytes stay exact: they are added in code, never by a 32-bit States.MathAdd). */
export interface Totals {
  /** uploads consumed from the listing, old enough or not (maxUploads counts these) */
  listed: number;
  /** uploads initiated before the cutoff: each has a record, or is counted busy */
  found: number;
  aborted: number;
  notFound: number;
  partsRemain: number;
  failed: number;
  wouldAbort: number;
  /** uploads whose record another run held (RUNNING, or written meanwhile): that run records them */
  busy: number;
  /** uploads the activity guard left alone: a part arrived within activeWithin (SKIPPED_ACTIVE) */
  skippedActive: number;
  /** uploads the guard could not check: S3 refused their ListParts (SKIPPED_UNREADABLE; SSE-KMS without kms:Decrypt) */
  skippedUnreadable: number;
  partsFound: number;
  bytesFound: number;
  /** the bytes of the uploads recorded ABORTED: what the sweep freed */
  bytesFreed: number;
  pages: number;
  handedOver: number;
  /** page executions that failed (the uploads they were aborting are recorded from their intent by the resume: lib/sweep/intent.ts) */
  lostPages: number;
  /** planned uploads that changed after the plan (a part added or replaced): left alone */
  skippedChanged: number;
}

export const TOTAL_NAMES = [
  'listed',
  'found',
  'aborted',
  'notFound',
  'partsRemain',
  'failed',
  'wouldAbort',
  'busy',
  'skippedActive',
  'skippedUnreadable',
  'partsFound',
  'bytesFound',
  'bytesFreed',
  'pages',
  'handedOver',
  'lostPages',
  'skippedChanged',
] as const satisfies ReadonlyArray<keyof Totals>;

export const emptyTotals = (): Totals => Object.fromEntries(TOTAL_NAMES.map((name) => [name, 0])) as unknown as Totals;

export function addTotals(a: Totals, b: Partial<Totals>): Totals {
  return Object.fromEntries(TOTAL_NAMES.map((name) => [name, a[name] + (b[name] ?? 0)])) as unknown as Totals;
}

/** the counter of each record status */
export const STATUS_COUNTER: Partial<Record<AbortStatus, keyof Totals>> = {
  ABORTED: 'aborted',
  NOT_FOUND: 'notFound',
  PARTS_REMAIN: 'partsRemain',
  FAILED: 'failed',
  WOULD_ABORT: 'wouldAbort',
  SKIPPED_CHANGED: 'skippedChanged',
  SKIPPED_ACTIVE: 'skippedActive',
  SKIPPED_UNREADABLE: 'skippedUnreadable',
};

/**
 * A lane: a key range of a target's listing, swept by its own sweep-target executions (lib/sweep/lanes.ts cuts them at
 * key boundaries). Kept tiny: sweep-uploads holds every lane of every target in one state (256 KiB).
 */
export interface Lane {
  /** the target's index in the plan */
  target: number;
  /** the lane's number within its target (0 first): its checkpoint is the target's for lane 0 */
  lane: number;
  /** the listing starts after this key (KeyMarker, no UploadIdMarker: keys greater than it); '' from the start */
  after: string;
  /** the last key of the lane: its listing stops at the first key greater (in UTF-8 byte order); none for the last lane */
  end?: string;
  /** uploads the lane may list: maxUploads less what the walk counted in the lanes before it (the last lane is truncated there) */
  limit: number;
  /** a sweep applying a plan: the plan pages of the dry run's lane of the same number (lib/sweep/plan-pages.ts) */
  planPages?: number;
}

/**
 * Lanes of one sweep, all targets together. sweep-uploads' history holds ~12 events per lane ("Sweep each lane": the
 * iteration, the .sync:2 Task's 6, the Choice's 2, the Pass's 2) and ~8 more per extra slice of a lane; 400 lanes are
 * ~4,800 events, far below Standard's 25,000 (test/unit/sweep-lanes.test.ts sums the worst case: ~10,500 with every slice).
 * 20 targets of 1,000,000 uploads at the default 50,000 a lane are exactly 400 lanes.
 */
export const MAX_LANES = 400;

/** An upload given to the Standard abort-upload workflow: its record id and the execution input (runInput). */
export interface HandOver {
  id: string;
  input: Record<string, unknown>;
}

export interface TargetState {
  sweep: SweepContext;
  target: SweepTargetPlan;
  /** where the next ListMultipartUploads starts */
  cursor: { keyMarker: string; uploadIdMarker: string };
  /** nothing more to do for this target: listed to the end, maxUploads reached (truncated), or failed (error) */
  done: boolean;
  truncated: boolean;
  totals: Totals;
  /** pages (and hand-over batches) recorded: the checkpoint's sequence number */
  seq: number;
  /** the sweep-target execution running the target, its page execution counted last, its estimated history events */
  slice: { execution: string; run: string; events: number; full: boolean };
  handovers: HandOver[];
  /** failed page executions in a row (resumed from the checkpoint): each halves the next page (lib/sweep/pace.ts) */
  recoveries: number;
  /** the lane's request rate on its bucket, lowered on SlowDown and raised back gradually (lib/sweep/rate.ts) */
  rate?: LaneRate;
  /** the last recorded page: its uploads and the seconds from its listing to its records (lib/sweep/pace.ts) */
  pace?: { uploads: number; seconds: number };
  /** the key range this state sweeps; none: the whole target (a sweep before lanes, or a unit test's state) */
  lane?: Lane;
  /** a dry run: the plan pages this lane wrote (lib/sweep/plan-pages.ts); applying a plan: the next plan page to apply */
  planPages?: number;
  planPage?: number;
  error?: { error: string; cause: string };
}

/**
 * AWS history events a sweep-target execution spends, for its slice budget (Standard: 25,000 events at most):
 * a page execution is one startExecution.sync:2 Task (entered, scheduled, started, submitted, succeeded, exited)
 * and one Choice (entered, exited); a hand-over batch is a Map (4 events) whose every item is a .sync:2 Task in an
 * iteration (8 events, 10 with the Catch's Pass), then the counting Lambda Task (5) and the Choice (2).
 */
export const HISTORY_EVENTS = {
  execution: 6,
  pageRun: 8,
  handoverBatch: 11,
  handover: 10,
  // sweep-uploads: its fixed states (plan, record, the Maps, gather, finish; their retries); a walk (a Map iteration and a
  // Lambda Task: 7; at worst 5 retries of 3 events and the Catch's Pass); a lane (the iteration, its first .sync:2 Task,
  // the Choice, the Pass: 12), each more slice of it (the Task and the Choice again), a lane given up (a Lambda Task)
  sweepFixed: 60,
  walkWorst: 24,
  lane: 12,
  laneSlice: 8,
  laneGiveUp: 5,
} as const;

export function sliceFull(slice: TargetState['slice'], settings: SweepRunSettings): boolean {
  return slice.events >= settings.sliceEvents;
}

/** The slice as a page execution `run` of the sweep-target execution `execution` finds it: counted once per run. */
export function countRun(state: TargetState, execution: string, run: string): TargetState['slice'] {
  const current = state.slice.execution === execution ? state.slice : { execution, run: '', events: HISTORY_EVENTS.execution, full: false };
  if (current.run === run) return current;
  const events = current.events + HISTORY_EVENTS.pageRun;
  return { execution, run, events, full: events >= state.sweep.settings.sliceEvents };
}

/**
 * the id of a lane's checkpoint item: no recordType, status or startedAt, so it is in no index (1 WRU, no GSI writes).
 * A target's first lane (or the whole target) keeps the target's id.
 */
export const checkpointId = (sweepId: string, index: number, lane = 0) => `${sweepId}#target-${index}${lane > 0 ? `#lane-${lane}` : ''}`;

/** seconds since an ISO time, by the clock of the caller */
export const secondsSince = (iso: string, now = Date.now()) => (now - Date.parse(iso)) / 1000;
