/**
 * A RUNNING sweep's counters: the sweep record keeps 0 until the sweep finishes (its final counters are summed from the
 * lanes' checkpoints, once), so readers sum the checkpoints themselves while it runs. The record does not say how many
 * lanes each target has: every checkpoint a lane could have is asked for (MAX_LANES ids at most, BatchGetItem 100 a
 * call: 200 read units, $0.000025 a reading); a lane that has not recorded a page yet has none.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetAll } from './requests.ts';
import { addTotals, checkpointId, emptyTotals, MAX_LANES, type TargetState } from './state.ts';

export async function withLiveTotals<T extends Record<string, unknown>>(doc: DynamoDBDocumentClient, tableName: string, item: T): Promise<T> {
  return (await liveProgress(doc, tableName, item)).sweep;
}

/**
 * The sweep with its live counters, and whether its listing has ended: then `found` is final (no page will find more)
 * and is the total the uploads done count towards. An ended sweep's counters are final.
 */
export async function liveProgress<T extends Record<string, unknown>>(
  doc: DynamoDBDocumentClient,
  tableName: string,
  item: T,
): Promise<{ sweep: T; listingEnded: boolean }> {
  // a cancelled sweep shows its checkpoints until its counters are rebuilt from its records (finishedAt then)
  if (item.status !== 'RUNNING' && (item.status !== 'CANCELLED' || item.finishedAt)) return { sweep: item, listingEnded: true };
  const states = await checkpointStates(doc, tableName, item);
  return { sweep: sumCheckpoints(item, states), listingEnded: listingEnded(states, targetCount(item)) };
}

/** the item with the counters summed from its lanes' checkpoints (unchanged when it has none) */
export async function withCheckpointTotals<T extends Record<string, unknown>>(doc: DynamoDBDocumentClient, tableName: string, item: T): Promise<T> {
  return sumCheckpoints(item, await checkpointStates(doc, tableName, item));
}

function sumCheckpoints<T extends Record<string, unknown>>(item: T, states: TargetState[]): T {
  const saved = states.map((state) => state.totals).filter((t) => t !== undefined);
  if (saved.length === 0) return item;
  return { ...item, ...saved.reduce((sum, totals) => addTotals(sum, totals), emptyTotals()) };
}

/**
 * Every target's listing has ended: each target has a last lane (no `end`; a state without a lane is the whole
 * target), and that lane and every lane before it has a checkpoint that says done. A lane that has not recorded a page
 * has no checkpoint, so a missing lane number means "not yet". A sweep applying a plan has lanes without ends (the dry
 * run's, lib/sweep/lanes.ts): which is the last is not known here, so its listing is never taken as ended while it runs.
 */
export function listingEnded(states: readonly TargetState[], targets: number): boolean {
  if (targets < 1 || states.some((s) => s.sweep?.planId)) return false;
  for (let index = 0; index < targets; index += 1) {
    const lanes = new Map(states.filter((s) => s.target?.index === index).map((s) => [s.lane?.lane ?? 0, s]));
    const last = [...lanes.values()].find((s) => s.lane === undefined || s.lane.end === undefined);
    if (!last) return false;
    for (let lane = 0; lane <= (last.lane?.lane ?? 0); lane += 1) if (!lanes.get(lane)?.done) return false;
  }
  return true;
}

/** the number of targets of a sweep record (its `targets` is a JSON array); 0 when it cannot be read */
function targetCount(item: Record<string, unknown>): number {
  try {
    const targets = JSON.parse(String(item.targets)) as unknown;
    return Array.isArray(targets) ? targets.length : 0;
  } catch {
    return 0;
  }
}

/** the lanes' checkpointed states of a sweep record (every lane id a target could have is asked for) */
export async function checkpointStates(doc: DynamoDBDocumentClient, tableName: string, item: Record<string, unknown>): Promise<TargetState[]> {
  if (typeof item.targets !== 'string' || typeof item.id !== 'string') return [];
  const count = targetCount(item);
  if (count === 0) return [];
  const lanes = Math.max(1, Math.floor(MAX_LANES / Math.max(1, count)));
  const ids = Array.from({ length: count }, (_, i) => Array.from({ length: lanes }, (__, lane) => checkpointId(item.id as string, i, lane))).flat();
  const checkpoints = await batchGetAll({ doc, tableName }, ids);
  const unique = [...new Map(checkpoints.map((checkpoint) => [checkpoint.id, checkpoint])).values()];
  return unique.map((checkpoint) => checkpoint.state as TargetState | undefined).filter((state) => state !== undefined);
}
