/**
 * "Finish sweep" (Lambda sweep-finish): the sweep record's final status and counters, summed from the lanes'
 * checkpoints, and one result per target (its lanes together). Each checkpoint is written after the records it counts, so
 * the counters are those of the records: found = aborted + notFound + partsRemain + failed + wouldAbort + busy + skippedActive + skippedUnreadable, with bytesFound the records' sum.
 */

import { sweepStatusKey, updateOwnedRecord, type SweepStatus } from '../records.ts';
import { MAX_MAX_UPLOADS } from './plan.ts';
import { batchGetAll, type SweepDeps } from './requests.ts';
import { targetRate } from './rate.ts';
import {
  addTotals,
  checkpointId,
  emptyTotals,
  TOTAL_NAMES,
  type Lane,
  type SweepContext,
  type SweepTargetPlan,
  type TargetState,
  type Totals,
} from './state.ts';

/** lanes: what "Split targets into lanes" gave (only target and lane are read); none: one lane per target */
export interface FinishEvent {
  sweep: SweepContext;
  targets: SweepTargetPlan[];
  lanes?: Array<Pick<Lane, 'target' | 'lane'>>;
}

export type TargetOutcome = 'SWEPT' | 'TRUNCATED' | 'FAILED' | 'UNFINISHED';
export interface TargetResult extends Totals {
  bucket: string;
  prefix: string;
  status: TargetOutcome;
  lanes: number;
  error?: string;
  cause?: string;
  /** the request rate its lanes ended at on its bucket, of their shares, and the SlowDowns they met (lib/sweep/rate.ts) */
  rate?: ReturnType<typeof targetRate>;
}
export interface SweepSummary extends Totals {
  status: SweepStatus;
}

const laneKey = (target: number, lane: number) => `${target}/${lane}`;

async function checkpoints(deps: SweepDeps, sweepId: string, lanes: Array<Pick<Lane, 'target' | 'lane'>>): Promise<Map<string, TargetState>> {
  const items = await batchGetAll(
    deps,
    lanes.map((l) => checkpointId(sweepId, l.target, l.lane)),
    { consistent: true },
  );
  return new Map(items.map((item) => [laneKey(Number(item.targetIndex), Number(item.lane ?? 0)), item.state as TargetState]));
}

/**
 * Why a TRUNCATED target stopped, naming the option that raises the limit in both doors (the API's field, the CLI's
 * flag): the uploads past it were not listed, so not swept.
 */
export function truncatedCause(maxUploads: number): string {
  const listed = `listed ${maxUploads.toLocaleString('en-US')} uploads, the sweep's limit per target (maxUploads), and stopped: the uploads after them were not swept`;
  if (maxUploads >= MAX_MAX_UPLOADS) return `${listed}; that is the highest limit, sweep the rest with narrower --prefix (prefix) targets`;
  return `${listed}; sweep again with a higher limit: --max-uploads N (CLI) or maxUploads (API), up to ${MAX_MAX_UPLOADS.toLocaleString('en-US')}`;
}

const NO_CHECKPOINT = { error: 'NoCheckpoint', cause: 'the target ended before its first page was recorded' };

/**
 * A target's result from its lanes' checkpoints (undefined: a lane without one): the exact totals summed; FAILED when a
 * lane failed (the first failure's error), else UNFINISHED when a lane did not end, else TRUNCATED when its last lane
 * reached maxUploads, else SWEPT.
 */
export function targetResult(target: SweepTargetPlan, states: Array<TargetState | undefined>): TargetResult {
  const where = { bucket: target.bucket, prefix: target.prefix, lanes: states.length };
  const totals = states.reduce((sum: Totals, state) => (state ? addTotals(sum, state.totals) : sum), emptyTotals());
  const failure = states.map((state) => (state ? state.error : NO_CHECKPOINT)).find((error) => error !== undefined);
  const status: TargetOutcome = failure ? 'FAILED' : states.some((s) => !s!.done) ? 'UNFINISHED' : states.some((s) => s!.truncated) ? 'TRUNCATED' : 'SWEPT';
  const why = failure ? { error: failure.error, cause: failure.cause } : status === 'TRUNCATED' ? { cause: truncatedCause(target.maxUploads) } : {};
  const rate = targetRate(states.flatMap((state) => (state?.rate ? [state.rate] : [])));
  return { ...where, ...totals, status, ...why, ...(rate ? { rate } : {}) };
}

/** INCOMPLETE when some uploads were not covered (maxUploads, a lost page), else COMPLETED_WITH_ERRORS for any error. */
export function sweepStatus(results: TargetResult[], totals: Totals): SweepStatus {
  if (totals.lostPages > 0 || results.some((r) => r.status === 'TRUNCATED' || r.status === 'UNFINISHED')) return 'INCOMPLETE';
  if (totals.failed + totals.partsRemain + totals.skippedUnreadable > 0 || results.some((r) => r.status === 'FAILED')) return 'COMPLETED_WITH_ERRORS';
  return 'COMPLETED';
}

export async function finishSweep(deps: SweepDeps, event: FinishEvent): Promise<SweepSummary> {
  const lanes = event.lanes ?? event.targets.map((target) => ({ target: target.index, lane: 0 }));
  const saved = await checkpoints(deps, event.sweep.id, lanes);
  const targetResults = event.targets.map((target) =>
    targetResult(
      target,
      lanes.filter((l) => l.target === target.index).map((l) => saved.get(laneKey(l.target, l.lane))),
    ),
  );
  const totals = targetResults.reduce((sum, r) => addTotals(sum, r), emptyTotals());
  // a sweep cancelled while it finished stays CANCELLED (its lanes ended early), with the counters of its checkpoints
  const [record] = await batchGetAll(deps, [event.sweep.id], { attributes: ['status'], consistent: true });
  const status = record?.status === 'CANCELLED' ? 'CANCELLED' : sweepStatus(targetResults, totals);
  const targetErrors = targetResults.filter((r) => r.error).map((r) => ({ bucket: r.bucket, error: r.error!, cause: r.cause ?? '' }));
  await updateOwnedRecord(deps.doc, deps.tableName, event.sweep.id, event.sweep.executionArn, {
    status,
    statusKey: sweepStatusKey(status),
    finishedAt: (deps.now?.() ?? new Date()).toISOString(),
    targetResults: JSON.stringify(targetResults),
    ...Object.fromEntries(TOTAL_NAMES.map((name) => [name, totals[name]])),
    targetErrors: targetErrors.length > 0 ? targetErrors : undefined,
  });
  return { status, ...totals };
}
