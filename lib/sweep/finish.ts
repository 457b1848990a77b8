/**
 * "Finish sweep" (Lambda sweep-finish): the sweep record's final status and counters, summed from the targets'
 * checkpoints. Each checkpoint is written after the records it counts, so the counters are those of the records:
 * found = aborted + notFound + partsRemain + failed + wouldAbort + busy, with bytesFound the records' sum.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SweepStatus } from '../records.ts';
import { batchGetAll, type SweepDeps } from './requests.ts';
import { addTotals, checkpointId, emptyTotals, TOTAL_NAMES, type SweepContext, type SweepTargetPlan, type TargetState, type Totals } from './state.ts';

export interface FinishEvent { sweep: SweepContext; targets: SweepTargetPlan[] }

export type TargetOutcome = 'SWEPT' | 'TRUNCATED' | 'FAILED' | 'UNFINISHED';
export interface TargetResult extends Totals { bucket: string; prefix: string; status: TargetOutcome; error?: string; cause?: string }
export interface SweepSummary extends Totals { status: SweepStatus }

async function checkpoints(deps: SweepDeps, sweepId: string, count: number): Promise<Map<number, TargetState>> {
  const items = await batchGetAll(deps, Array.from({ length: count }, (_, i) => checkpointId(sweepId, i)), { consistent: true });
  return new Map(items.map((item) => [Number(item.targetIndex), item.state as TargetState]));
}

export function targetResult(target: SweepTargetPlan, state: TargetState | undefined): TargetResult {
  const where = { bucket: target.bucket, prefix: target.prefix };
  if (!state) return { ...where, ...emptyTotals(), status: 'FAILED', error: 'NoCheckpoint', cause: 'the target ended before its first page was recorded' };
  const status: TargetOutcome = state.error ? 'FAILED' : state.truncated ? 'TRUNCATED' : state.done ? 'SWEPT' : 'UNFINISHED';
  return { ...where, ...state.totals, status, ...(state.error ? { error: state.error.error, cause: state.error.cause } : {}) };
}

/** INCOMPLETE when some uploads were not covered (maxUploads, a lost page), else COMPLETED_WITH_ERRORS for any error. */
export function sweepStatus(results: TargetResult[], totals: Totals): SweepStatus {
  if (totals.lostPages > 0 || results.some((r) => r.status === 'TRUNCATED' || r.status === 'UNFINISHED')) return 'INCOMPLETE';
  if (totals.failed + totals.partsRemain > 0 || results.some((r) => r.status === 'FAILED')) return 'COMPLETED_WITH_ERRORS';
  return 'COMPLETED';
}

export async function finishSweep(deps: SweepDeps, event: FinishEvent): Promise<SweepSummary> {
  const saved = await checkpoints(deps, event.sweep.id, event.targets.length);
  const targetResults = event.targets.map((target, i) => targetResult(target, saved.get(i)));
  const totals = targetResults.reduce((sum, r) => addTotals(sum, r), emptyTotals());
  const status = sweepStatus(targetResults, totals);
  const targetErrors = targetResults.filter((r) => r.error).map((r) => ({ bucket: r.bucket, error: r.error!, cause: r.cause ?? '' }));
  const names: Record<string, string> = {
    '#status': 'status', '#finishedAt': 'finishedAt', '#targetResults': 'targetResults', '#executionArn': 'executionArn',
  };
  const values: Record<string, unknown> = {
    ':status': status, ':finishedAt': (deps.now?.() ?? new Date()).toISOString(), ':targetResults': JSON.stringify(targetResults),
    ':mine': event.sweep.executionArn,
  };
  const sets = ['#status = :status', '#finishedAt = :finishedAt', '#targetResults = :targetResults'];
  for (const name of TOTAL_NAMES) {
    names[`#${name}`] = name;
    values[`:${name}`] = totals[name];
    sets.push(`#${name} = :${name}`);
  }
  if (targetErrors.length > 0) {
    names['#targetErrors'] = 'targetErrors';
    values[':targetErrors'] = targetErrors;
    sets.push('#targetErrors = :targetErrors');
  }
  await deps.doc.send(new UpdateCommand({
    TableName: deps.tableName, Key: { id: event.sweep.id }, UpdateExpression: `SET ${sets.join(', ')}`, ConditionExpression: '#executionArn = :mine',
    ExpressionAttributeNames: names, ExpressionAttributeValues: values,
  }));
  return { status, ...totals };
}
