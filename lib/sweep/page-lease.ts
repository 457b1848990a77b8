/**
 * Asynchronous Express executions run at least once: a page execution may run twice, at once or one after the other,
 * from the same state. Before it lists, a page takes the target's checkpoint as its start when the checkpoint is ahead
 * (a duplicate went on: its pages are recorded and counted there), and leases the checkpoint's sequence number: one
 * page execution at a time works on a lane, so no upload is recorded by one execution and counted by another. The
 * lease is an attribute of the checkpoint item: the next checkpoint (a PutItem of the whole item) releases it.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { readCheckpoint } from './record.ts';
import type { SweepDeps } from './requests.ts';
import { checkpointId, type TargetState } from './state.ts';

/** a holder that died keeps the lease this long at most: an Express execution runs 5 minutes at most */
export const LEASE_SECONDS = 300;
/** how long a page waits for another execution's page of the same lane (one page takes seconds) before it fails */
export const LEASE_WAIT_SECONDS = 30;

/** Another execution holds the lane's page: the List state's Retry tries again. */
export class PageBusy extends Error {
  override name = 'PageBusy';
}

export interface LeaseDeps extends SweepDeps {
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The state to list from (the checkpoint's when it is ahead of the given one), once this holder leases its sequence
 * number; without a lease when `lists` says the page ends without listing (done, hand-overs pending, time up). `holder` names the page execution and the state's entry: a retried List keeps it, a duplicate does not.
 */
export async function leasePage(deps: LeaseDeps, state: TargetState, holder: string, lists: (from: TargetState) => boolean = () => true): Promise<TargetState> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const id = checkpointId(state.sweep.id, state.target.index, state.lane?.lane);
  for (let waited = 0; ; waited += 1) {
    const saved = await readCheckpoint(deps, state.sweep.id, state.target.index, state.lane?.lane);
    const current = saved && saved.seq > state.seq ? { ...saved, slice: state.slice } : state;
    if (!lists(current)) return current; // it ends without listing: nothing to lease
    const now = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
    try {
      await deps.doc.send(
        new UpdateCommand({
          TableName: deps.tableName,
          Key: { id },
          UpdateExpression: 'SET #lease = :lease, #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
          ConditionExpression: `(${current.seq === 0 ? 'attribute_not_exists(#seq) OR ' : ''}#seq = :seq) AND (attribute_not_exists(#lease) OR #lease.#holder = :holder OR #lease.#until < :now)`,
          ExpressionAttributeNames: { '#lease': 'lease', '#seq': 'seq', '#holder': 'holder', '#until': 'until', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: {
            ':lease': { holder, seq: current.seq, until: now + LEASE_SECONDS },
            ':seq': current.seq,
            ':holder': holder,
            ':now': now,
            ':expiresAt': now + state.sweep.settings.retentionSeconds,
          },
        }),
      );
      return current;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      if (waited >= LEASE_WAIT_SECONDS) throw new PageBusy(`another page execution holds page ${current.seq} of ${id}`);
      await sleep(1000);
    }
  }
}
