/** The local stack's TransactWriteItems queue (emulator/transactions.ts): one at a time, and never stuck. */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Upstream } from '../../emulator/chaos.ts';
import { isTransactWrite, oneAtATime } from '../../emulator/transactions.ts';

type Fake = EventEmitter & { closed: boolean; destroyed: boolean; name: string; headers: Record<string, string> };
const fake = (name: string): Fake => Object.assign(new EventEmitter(), { closed: false, destroyed: false, name, headers: {} });
const close = (res: Fake) => {
  res.closed = true;
  res.emit('close');
};

/** an upstream that answers 20 ms later, logging when it starts and ends each request */
const slowUpstream = (log: string[]): Upstream => ({
  answer: (req, res) => {
    log.push(`start ${(req as unknown as Fake).name}`);
    setTimeout(() => {
      log.push(`end ${(req as unknown as Fake).name}`);
      close(res as unknown as Fake);
    }, 20);
  },
  apply: async () => {},
});

describe('oneAtATime', () => {
  it('answers the next request only once the one before it has been answered, and skips one whose client has gone', async () => {
    // Arrange: an upstream that answers 20 ms later
    const log: string[] = [];
    const upstream = slowUpstream(log);
    const queue = oneAtATime(upstream);
    const [a, b, c] = ['a', 'b', 'c'].map(fake);

    // Act: b's client gives up while a is answered
    const answers = [a, b, c].map((r) => queue.answer(r as unknown as IncomingMessage, r as unknown as ServerResponse));
    close(b);
    await Promise.all(answers);

    // Assert
    expect(log).toEqual(['start a', 'end a', 'start c', 'end c']);
  });

  it("puts every proxy's transactions to the same moto_server in one queue", async () => {
    // Arrange: the endpoint's and the Tasks' proxies each wrap their own upstream to one moto_server
    const log: string[] = [];
    const upstream = slowUpstream(log);
    const url = `http://127.0.0.1:${Math.floor(Math.random() * 60000) + 1024}`;
    const [endpoint, tasks] = [oneAtATime(upstream, url), oneAtATime(upstream, url)];
    const [a, b] = ['a', 'b'].map(fake);

    // Act
    await Promise.all([
      endpoint.answer(a as unknown as IncomingMessage, a as unknown as ServerResponse),
      tasks.answer(b as unknown as IncomingMessage, b as unknown as ServerResponse),
    ]);

    // Assert: b waited for a
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it('takes the TransactWriteItems requests only', () => {
    expect(isTransactWrite({ headers: { 'x-amz-target': 'DynamoDB_20120810.TransactWriteItems' } } as unknown as IncomingMessage)).toBe(true);
    expect(isTransactWrite({ headers: { 'x-amz-target': 'DynamoDB_20120810.PutItem' } } as unknown as IncomingMessage)).toBe(false);
  });
});
