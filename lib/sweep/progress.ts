/**
 * A RUNNING sweep's counters: the sweep record keeps 0 until the sweep finishes (its final counters are summed from the
 * targets' checkpoints, once), so readers sum the checkpoints themselves while it runs: one BatchGetItem of at most 20
 * small items.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetAll } from './requests.ts';
import { addTotals, checkpointId, emptyTotals, type TargetState } from './state.ts';

export async function withLiveTotals<T extends Record<string, unknown>>(doc: DynamoDBDocumentClient, tableName: string, item: T): Promise<T> {
  if (item.status !== 'RUNNING' || typeof item.targets !== 'string' || typeof item.id !== 'string') return item;
  let count: number;
  try {
    count = (JSON.parse(item.targets) as unknown[]).length;
  } catch {
    return item;
  }
  const checkpoints = await batchGetAll({ doc, tableName }, Array.from({ length: count }, (_, i) => checkpointId(item.id as string, i)));
  const saved = checkpoints.map((checkpoint) => (checkpoint.state as TargetState | undefined)?.totals).filter((t) => t !== undefined);
  if (saved.length === 0) return item;
  return { ...item, ...saved.reduce((sum, totals) => addTotals(sum, totals), emptyTotals()) };
}
