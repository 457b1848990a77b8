/** The local stack's lock around TransactWriteItems (emulator/transactions.ts): a transaction runs alone, never stuck. */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Upstream } from '../../emulator/chaos.ts';
import { isTransactWrite, type Moto, ReadWriteLock, sharingTransactions, transact } from '../../emulator/transactions.ts';

type Fake = EventEmitter & { closed: boolean; destroyed: boolean; name: string; headers: Record<string, string> };
const fake = (name: string): Fake => Object.assign(new EventEmitter(), { closed: false, destroyed: false, name, headers: {} });
const close = (res: Fake) => {
  res.closed = true;
  res.emit('close');
};
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** work that logs when it starts and ends, 20 ms apart */
const logged = (log: string[], name: string) => async () => {
  log.push(`start ${name}`);
  await tick(20);
  log.push(`end ${name}`);
};

describe('ReadWriteLock', () => {
  it('lets shared holders overlap, an exclusive one run alone, and a waiting exclusive one hold back later shared ones', async () => {
    // Arrange
    const lock = new ReadWriteLock();
    const log: string[] = [];

    // Act: a and b shared, then t exclusive, then c shared (which must wait for t, though a and b share)
    await Promise.all([
      lock.hold(false, logged(log, 'a')),
      lock.hold(false, logged(log, 'b')),
      lock.hold(true, logged(log, 't')),
      lock.hold(false, logged(log, 'c')),
    ]);

    // Assert
    expect(log).toEqual(['start a', 'start b', 'end a', 'end b', 'start t', 'end t', 'start c', 'end c']);
  });

  it('is free again after work that throws', async () => {
    const lock = new ReadWriteLock();
    await expect(lock.hold(true, () => Promise.reject(new Error('moto went away')))).rejects.toThrow('moto went away');
    expect(await lock.hold(true, async () => 'ran')).toBe('ran');
  });
});

describe('sharingTransactions', () => {
  it('holds a request until its answer is over, and skips one whose client has gone', async () => {
    // Arrange: an upstream that answers 20 ms later; a transaction on the same moto_server's lock
    const log: string[] = [];
    const upstream: Upstream = {
      answer: (req, res) => {
        log.push(`start ${(req as unknown as Fake).name}`);
        setTimeout(() => {
          log.push(`end ${(req as unknown as Fake).name}`);
          close(res as unknown as Fake);
        }, 20);
      },
      apply: async () => {},
    };
    const url = `http://127.0.0.1:${Math.floor(Math.random() * 60000) + 1024}`;
    const shared = sharingTransactions(upstream, url);
    const [a, b] = ['a', 'b'].map(fake);
    const gone = fake('gone');
    close(gone);

    // Act
    await Promise.all([
      shared.answer(a as unknown as IncomingMessage, a as unknown as ServerResponse),
      shared.answer(gone as unknown as IncomingMessage, gone as unknown as ServerResponse),
      shared.answer(b as unknown as IncomingMessage, b as unknown as ServerResponse),
    ]);

    // Assert: a and b overlapped; the gone client's request was never sent
    expect(log).toEqual(['start a', 'start b', 'end a', 'end b']);
  });

  it('takes the TransactWriteItems requests only', () => {
    expect(isTransactWrite({ headers: { 'x-amz-target': 'DynamoDB_20120810.TransactWriteItems' } } as unknown as IncomingMessage)).toBe(true);
    expect(isTransactWrite({ headers: { 'x-amz-target': 'DynamoDB_20120810.PutItem' } } as unknown as IncomingMessage)).toBe(false);
  });
});

describe('transact', () => {
  it('puts back what it wrote when moto_server stops answering halfway, then fails', async () => {
    // Arrange: a moto_server whose second write never answers; the first item existed before
    const calls: string[] = [];
    let writes = 0;
    const moto: Moto = async (operation, body) => {
      const input = body as { Key?: { id: { S: string } }; Item?: { id: { S: string } } };
      calls.push(`${operation} ${(input.Key ?? input.Item)?.id.S}`);
      if (operation === 'GetItem') return { status: 200, body: JSON.stringify(input.Key?.id.S === 'a' ? { Item: { id: { S: 'a' }, n: { N: '1' } } } : {}) };
      if (operation === 'UpdateItem' && ++writes === 2) throw new Error('socket hang up');
      return { status: 200, body: '{}' };
    };
    const update = (id: string) => ({
      Update: { TableName: 't', Key: { id: { S: id } }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': { N: '2' } } },
    });

    // Act
    const outcome = await transact(moto, [update('a'), update('b')]).catch((e: Error) => e.message);

    // Assert: a was written, then put back as it was
    expect(outcome).toBe('socket hang up');
    expect(calls).toEqual(['GetItem a', 'GetItem b', 'UpdateItem a', 'UpdateItem b', 'PutItem a']);
  });
});
