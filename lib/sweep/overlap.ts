/**
 * Sweeps that would overlap are refused (the simplest design that aborts and credits each upload once): a target
 * overlaps a running sweep's target when both name the same bucket and one prefix is a prefix of the other. Checked by
 * the API and the CLI before they start a sweep (409 / exit 1, naming the running sweep), and by "Plan sweep" for every
 * entry (events and schedules too: recorded FAILED with InvalidSweepRequest and the running sweep's id). Two requests
 * within the same second or so can both pass: the check reads the RUNNING sweeps, it holds no lock.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { INDEX_BY_STATUS, queryAll, SWEEP_RECORD_TYPE, sweepStatusKey } from '../records.ts';
import { InvalidSweepRequest, planSweepRun, type PlanSweepEvent, type SweepRunPlan } from './plan.ts';

export interface TargetRef {
  bucket: string;
  prefix?: string;
}

export interface Overlap {
  /** the index of the refused target in the request */
  index: number;
  target: TargetRef;
  sweepId: string;
  running: TargetRef;
}

export const targetsOverlap = (a: TargetRef, b: TargetRef): boolean => {
  const [pa, pb] = [a.prefix ?? '', b.prefix ?? ''];
  return a.bucket === b.bucket && (pa.startsWith(pb) || pb.startsWith(pa));
};

/** the first target that overlaps a RUNNING sweep's (`self`: the sweep asking, not counted) */
export async function runningOverlap(
  deps: { doc: DynamoDBDocumentClient; tableName: string },
  targets: TargetRef[],
  self?: string,
): Promise<Overlap | undefined> {
  const sweeps = await runningSweeps(deps);
  for (const item of sweeps) {
    if (item.id === self || typeof item.targets !== 'string') continue;
    const running = JSON.parse(item.targets) as TargetRef[];
    for (const [index, target] of targets.entries()) {
      const hit = running.find((r) => targetsOverlap(target, r));
      if (hit) return { index, target, sweepId: String(item.id), running: { bucket: hit.bucket, prefix: hit.prefix ?? '' } };
    }
  }
  return undefined;
}

/**
 * The RUNNING sweeps' ids, execution ARNs and targets: the byStatusShard index's RUNNING#sweep key holds the running
 * sweeps alone; the status is checked again, so a key a writer failed to move on is read, never believed.
 */
async function runningSweeps(deps: { doc: DynamoDBDocumentClient; tableName: string }) {
  return queryAll(deps.doc, {
    TableName: deps.tableName,
    IndexName: INDEX_BY_STATUS,
    KeyConditionExpression: '#statusKey = :running',
    FilterExpression: '#status = :runningStatus AND #recordType = :sweep',
    ProjectionExpression: '#id, #targets, #executionArn',
    ExpressionAttributeNames: {
      '#statusKey': 'statusKey',
      '#status': 'status',
      '#recordType': 'recordType',
      '#id': 'id',
      '#targets': 'targets',
      '#executionArn': 'executionArn',
    },
    ExpressionAttributeValues: { ':running': sweepStatusKey('RUNNING'), ':runningStatus': 'RUNNING', ':sweep': SWEEP_RECORD_TYPE },
  });
}

/**
 * The running sweep whose targets cover this upload (its bucket, its key under a target's prefix): that sweep may be
 * aborting it right now, and records it. An explicit abort of it answers busy, naming the sweep, instead of racing it
 * (two DELETEs, a NOT_FOUND with no cause, the sweep's abort credited to nobody).
 */
export async function coveringSweep(
  deps: { doc: DynamoDBDocumentClient; tableName: string },
  bucket: string,
  key: string,
): Promise<{ sweepId: string; executionArn: string } | undefined> {
  for (const item of await runningSweeps(deps)) {
    if (typeof item.targets !== 'string') continue;
    const targets = JSON.parse(item.targets) as TargetRef[];
    if (targets.some((t) => t.bucket === bucket && key.startsWith(t.prefix ?? '')))
      return { sweepId: String(item.id), executionArn: String(item.executionArn) };
  }
  return undefined;
}

export const overlapMessage = (o: Overlap) =>
  `targets[${o.index}]: bucket ${o.target.bucket} prefix "${o.target.prefix ?? ''}" overlaps the running sweep ${o.sweepId} ` +
  `(prefix "${o.running.prefix ?? ''}"); wait for it to end or cancel it (mpu-reaper sweep cancel ${o.sweepId})`;

/** "Plan sweep": the plan, refused (InvalidSweepRequest, recorded FAILED) when a target overlaps a running sweep's */
export async function planWithoutOverlap(deps: { doc: DynamoDBDocumentClient; tableName: string }, event: PlanSweepEvent): Promise<SweepRunPlan> {
  const plan = planSweepRun(event);
  const overlap = await runningOverlap(deps, plan.targets, plan.sweep.id);
  if (overlap) throw new InvalidSweepRequest(`refused: ${overlapMessage(overlap)}`);
  return plan;
}
