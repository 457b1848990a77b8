/** emulator/listen.ts: the stack's servers keep an idle connection past Node's 5-second default, and cut every one on close. */
import { Agent, createServer, get } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { IDLE_CONNECTION_MS, listen } from '../../emulator/listen.ts';

let close: (() => Promise<void>) | undefined;
afterEach(async () => close?.());

const fetchOver = (agent: Agent, url: string) =>
  new Promise<string>((resolve, reject) => {
    get(url, { agent }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });

describe('listen', () => {
  it("keeps a kept-alive connection open while it idles longer than Node's default 5 s, so a client reuses it", async () => {
    let connections = 0;
    const server = createServer((_req, res) => res.end('ok'));
    server.on('connection', () => {
      connections += 1;
    });
    const started = await listen(server, 0, '127.0.0.1');
    close = started.close;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await fetchOver(agent, started.url)).toBe('ok');
      // Node's default: 5 s, closed on the timer after it (about a second more)
      await new Promise((resolve) => setTimeout(resolve, 7_000));
      expect(await fetchOver(agent, started.url)).toBe('ok');
      expect(connections).toBe(1);
      expect(server.keepAliveTimeout).toBe(IDLE_CONNECTION_MS);
    } finally {
      agent.destroy();
    }
  }, 15_000);
});
