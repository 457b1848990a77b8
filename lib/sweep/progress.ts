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
  // a cancelled sweep shows its checkpoints until its counters are rebuilt from its records (finishedAt then)
  if (item.status !== 'RUNNING' && (item.status !== 'CANCELLED' || item.finishedAt)) return item;
  return withCheckpointTotals(doc, tableName, item);
}

/** the item with the counters summed from its lanes' checkpoints (unchanged when it has none) */
export async function withCheckpointTotals<T extends Record<string, unknown>>(doc: DynamoDBDocumentClient, tableName: string, item: T): Promise<T> {
  const saved = (await checkpointStates(doc, tableName, item)).map((state) => state.totals).filter((t) => t !== undefined);
  if (saved.length === 0) return item;
  return { ...item, ...saved.reduce((sum, totals) => addTotals(sum, totals), emptyTotals()) };
}

/** the lanes' checkpointed states of a sweep record (every lane id a target could have is asked for) */
export async function checkpointStates(doc: DynamoDBDocumentClient, tableName: string, item: Record<string, unknown>): Promise<TargetState[]> {
  if (typeof item.targets !== 'string' || typeof item.id !== 'string') return [];
  let count: number;
  try {
    count = (JSON.parse(item.targets) as unknown[]).length;
  } catch {
    return [];
  }
  const lanes = Math.max(1, Math.floor(MAX_LANES / Math.max(1, count)));
  const ids = Array.from({ length: count }, (_, i) => Array.from({ length: lanes }, (__, lane) => checkpointId(item.id as string, i, lane))).flat();
  const checkpoints = await batchGetAll({ doc, tableName }, ids);
  const unique = [...new Map(checkpoints.map((checkpoint) => [checkpoint.id, checkpoint])).values()];
  return unique.map((checkpoint) => checkpoint.state as TargetState | undefined).filter((state) => state !== undefined);
}
