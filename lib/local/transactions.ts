/**
 * DynamoDB transactions one at a time on the way to moto_server. moto checks a transaction's conditions and writes
 * its items without a lock, so two concurrent TransactWriteItems could both pass a condition that only one may pass.
 * DynamoDB isolates them: "TransactWriteItems … serializable" with any other transaction on the same items, the later
 * one cancelled with TransactionConflict or seeing the earlier's writes (DynamoDB Developer Guide, "Isolation levels
 * for DynamoDB transactions"). One at a time is at least as strict. The ledger relies on it (lib/ledger.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Upstream } from './chaos.ts';
import { header } from './wire.ts';

export const isTransactWrite = (req: IncomingMessage): boolean => header(req.headers, 'x-amz-target') === 'DynamoDB_20120810.TransactWriteItems';

/** the upstream, with each request waiting until the one before it has been answered */
export function oneAtATime(upstream: Upstream): Upstream {
  let queue: Promise<unknown> = Promise.resolve();
  const run = (work: () => Promise<void>): Promise<void> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    answer: (req, res) =>
      run(
        () =>
          new Promise<void>((resolve) => {
            // a client that gave up while its request waited: nothing to send (its 'close' has passed)
            if (res.closed || res.destroyed || req.destroyed) return resolve();
            res.once('close', resolve);
            Promise.resolve(upstream.answer(req, res)).catch(() => resolve());
          }),
      ),
    apply: (req) => run(() => upstream.apply(req)),
  };
}
