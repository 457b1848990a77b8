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

type Run = (work: () => Promise<void>) => Promise<void>;

function queue(): Run {
  let last: Promise<unknown> = Promise.resolve();
  return (work) => {
    const next = last.then(work, work);
    last = next.catch(() => undefined);
    return next;
  };
}

/** one queue per moto_server: the endpoint's and the Tasks' proxies reach the same tables */
const queues = new Map<string, Run>();

/**
 * The upstream, with each request waiting until the one before it has been answered. `shared`: the moto_server's URL,
 * so that every upstream to it waits in one queue (default: a queue of its own).
 */
export function oneAtATime(upstream: Upstream, shared?: string): Upstream {
  let run = shared === undefined ? undefined : queues.get(shared);
  if (!run) {
    run = queue();
    if (shared !== undefined) queues.set(shared, run);
  }
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
