/**
 * A sweep step's share of the ledger (lib/ledger.ts): the ABORTED uploads the step adds to its target's totals, ADDed
 * in one TransactWriteItems with a marker named after the checkpoint seq the step produces, and with the checkpoint
 * itself. A retried Lambda, a duplicate page execution, or a resume of a page that did record, produce the same seq: the
 * marker's condition refuses them, so each step is counted once, and with the totals its checkpoint holds.
 */
import type { PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { ledgerDeltas, ledgerUpdate, transact, type Countable } from '../ledger.ts';
import { expiresAtField } from '../records.ts';
import type { SweepDeps } from './requests.ts';
import { checkpointId, type TargetState } from './state.ts';

export const ledgerMarkerId = (state: Pick<TargetState, 'sweep' | 'target' | 'lane'>, seq: number): string =>
  `${checkpointId(state.sweep.id, state.target.index, state.lane?.lane)}#ledger#${seq}`;

/**
 * written: the marker, the ADDs (and the checkpoint) are written; counted: the step's marker exists (nothing written);
 * stale: the checkpoint's condition refused it (a newer step was recorded: it was counted with it); none: nothing to add.
 */
export type LedgerStep = 'written' | 'counted' | 'stale' | 'none';

export async function commitLedgerStep(
  deps: SweepDeps,
  state: Pick<TargetState, 'sweep' | 'target' | 'lane'>,
  seq: number,
  counted: Countable[],
  now: Date,
  checkpoint?: PutCommandInput,
): Promise<LedgerStep> {
  const deltas = ledgerDeltas(counted);
  if (deltas.length === 0) return 'none';
  const marker = {
    Put: {
      TableName: deps.tableName,
      Item: { id: ledgerMarkerId(state, seq), recordType: 'ledger-marker', ...expiresAtField(now.getTime() / 1000, state.sweep.settings.retentionSeconds) },
      ConditionExpression: 'attribute_not_exists(#id)',
      ExpressionAttributeNames: { '#id': 'id' },
    },
  };
  const items = [...(checkpoint ? [{ Put: checkpoint }] : []), marker, ...deltas.map((d) => ledgerUpdate(deps.tableName, d))];
  const reasons = await transact(deps.doc, items as Parameters<typeof transact>[1]);
  if (!reasons) return 'written';
  if (checkpoint && reasons[0] === 'ConditionalCheckFailed') return 'stale';
  if (reasons[checkpoint ? 1 : 0] === 'ConditionalCheckFailed') return 'counted';
  throw new Error(`the ledger's transaction was cancelled: ${reasons.join(', ')}`);
}
