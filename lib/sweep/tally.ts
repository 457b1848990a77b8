/**
 * The counters of a sweep that ended from outside (cancelled, stopped, failed or timed out): its finish step never ran,
 * so they are rebuilt from what was written. The outcome counters (aborted, notFound, …, bytesFreed) come from the upload
 * records that carry the sweep's id; what no record holds (listed, busy, pages, hand-overs, lost pages) from the lanes'
 * checkpoints. A page or a hand-over that records after the sweep ended rebuilds them again (`known`: the records it
 * just wrote, which the byStartedAt index may not show yet); the rebuild that started last wins (talliedAt).
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { INDEX_BY_STARTED_AT, queryAll, shardKeys, SWEEP_RECORD_TYPE, UPLOAD_RECORD_TYPE, type AbortRecord, type SweepStatus } from '../records.ts';
import { withCheckpointTotals } from './progress.ts';
import type { SweepDeps } from './requests.ts';
import { STATUS_COUNTER, TOTAL_NAMES, addTotals, emptyTotals, type Totals } from './state.ts';

/** statuses of a sweep whose counters are rebuilt from its records (its finish step did not run) */
export const ENDED_FROM_OUTSIDE: readonly SweepStatus[] = ['CANCELLED', 'STOPPED', 'FAILED'];

/** what a record adds to the sweep's counters (a RUNNING record, a hand-over still in flight, counts as found only) */
export function recordTotals(record: Pick<AbortRecord, 'status' | 'partsFound' | 'bytesFound'>): Partial<Totals> {
  const counter = STATUS_COUNTER[record.status];
  const bytes = record.bytesFound ?? 0;
  return {
    ...(counter ? { [counter]: 1 } : {}),
    partsFound: record.partsFound ?? 0,
    bytesFound: bytes,
    ...(record.status === 'ABORTED' ? { bytesFreed: bytes } : {}),
  };
}

/** the upload records carrying the sweep's id: every shard of byShardStartedAt from the sweep's start, filtered by sweepId */
async function sweepRecords(deps: Pick<SweepDeps, 'doc' | 'tableName'>, sweepId: string, startedAt: string): Promise<Map<string, AbortRecord>> {
  const shards = await Promise.all(shardKeys(UPLOAD_RECORD_TYPE).map((listKey) => shardRecords(deps, listKey, sweepId, startedAt)));
  return new Map(shards.flat().map((item) => [String(item.id), item as unknown as AbortRecord]));
}

function shardRecords(deps: Pick<SweepDeps, 'doc' | 'tableName'>, listKey: string, sweepId: string, startedAt: string) {
  return queryAll(deps.doc, {
    TableName: deps.tableName,
    IndexName: INDEX_BY_STARTED_AT,
    KeyConditionExpression: '#listKey = :listKey AND #startedAt >= :startedAt',
    FilterExpression: '#sweepId = :sweepId',
    ProjectionExpression: '#id, #status, #partsFound, #bytesFound',
    ExpressionAttributeNames: {
      '#listKey': 'listKey',
      '#startedAt': 'startedAt',
      '#sweepId': 'sweepId',
      '#id': 'id',
      '#status': 'status',
      '#partsFound': 'partsFound',
      '#bytesFound': 'bytesFound',
    },
    ExpressionAttributeValues: { ':listKey': listKey, ':startedAt': startedAt, ':sweepId': sweepId },
  });
}

/** the counters from the records (outcomes) and the checkpoints (what no record holds) */
export function tallied(records: Iterable<Pick<AbortRecord, 'status' | 'partsFound' | 'bytesFound'>>, checkpoints: Totals): Totals {
  let totals = emptyTotals();
  let count = 0;
  for (const record of records) {
    totals = addTotals(totals, recordTotals(record));
    count += 1;
  }
  const { listed, busy, pages, handedOver, lostPages } = checkpoints;
  return { ...totals, listed, busy, pages, handedOver, lostPages, found: count + busy };
}

export type TallyOutcome = 'tallied' | 'not-ended' | 'superseded';

/**
 * Rebuilds the counters of a sweep that ended from outside and writes them, with finishedAt (kept from the first
 * rebuild). A sweep still RUNNING or finished by its own finish step is left alone.
 */
export async function tallySweep(
  deps: Pick<SweepDeps, 'doc' | 'tableName' | 'now'>,
  sweepId: string,
  known: Array<Pick<AbortRecord, 'id' | 'status' | 'partsFound' | 'bytesFound' | 'sweepId'>> = [],
): Promise<TallyOutcome> {
  const talliedAt = (deps.now?.() ?? new Date()).toISOString();
  const { Item } = await deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: { id: sweepId }, ConsistentRead: true }));
  if (Item?.recordType !== SWEEP_RECORD_TYPE || !ENDED_FROM_OUTSIDE.includes(Item.status) || typeof Item.startedAt !== 'string') return 'not-ended';
  const records = await sweepRecords(deps, sweepId, Item.startedAt);
  for (const record of known) if (record.sweepId === sweepId) records.set(record.id, record as AbortRecord);
  const fromCheckpoints = await withCheckpointTotals(deps.doc, deps.tableName, { ...Item, ...emptyTotals() });
  const totals = tallied(records.values(), fromCheckpoints as unknown as Totals);
  const fields: Record<string, unknown> = { ...Object.fromEntries(TOTAL_NAMES.map((name) => [name, totals[name]])), talliedAt };
  try {
    await deps.doc.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { id: sweepId },
        UpdateExpression: `SET ${Object.keys(fields)
          .map((name) => `#${name} = :${name}`)
          .join(', ')}, #finishedAt = if_not_exists(#finishedAt, :talliedAt)`,
        ConditionExpression: '#status = :status AND (attribute_not_exists(#talliedAt) OR #talliedAt <= :talliedAt)',
        ExpressionAttributeNames: {
          ...Object.fromEntries(Object.keys(fields).map((name) => [`#${name}`, name])),
          '#status': 'status',
          '#finishedAt': 'finishedAt',
        },
        ExpressionAttributeValues: { ...Object.fromEntries(Object.entries(fields).map(([name, value]) => [`:${name}`, value])), ':status': Item.status },
      }),
    );
    return 'tallied';
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return 'superseded';
    throw error;
  }
}
