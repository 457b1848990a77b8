/**
 * moto_server as startMoto runs it (emulator/python/sitecustomize.py) keeps a connection open between requests
 * (werkzeug alone closes every one), serves request bodies whole on a kept connection, and still closes when the
 * client asks.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../../emulator/moto.ts';

/** moto_server tells services apart by the credential scope; it checks no signature */
const S3_AUTH = 'AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0';

function send(moto: MotoServer, agent: Agent, method: string, path: string, body = '', headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; socket: unknown; connection?: string }>((resolve, reject) => {
    const url = new URL(moto.endpoint);
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        agent,
        headers: { authorization: S3_AUTH, 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), socket: res.socket, connection: res.headers.connection }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('moto_server as startMoto runs it', () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto.stop();
  });

  it('keeps one connection for request after request, bodies included', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const sockets = new Set<unknown>();
      const created = await send(moto, agent, 'PUT', '/keepalive-bucket');
      expect(created.status).toBe(200);
      sockets.add(created.socket);
      for (const i of [1, 2, 3]) {
        const put = await send(moto, agent, 'PUT', `/keepalive-bucket/object-${i}`, `body ${i} `.repeat(1000));
        expect(put.status).toBe(200);
        expect(put.connection).not.toBe('close');
        sockets.add(put.socket);
      }
      const got = await send(moto, agent, 'GET', '/keepalive-bucket/object-2');
      sockets.add(got.socket);
      expect(got.body).toBe('body 2 '.repeat(1000));
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('closes the connection when the client asks', async () => {
    const agent = new Agent({ keepAlive: true });
    try {
      const answer = await send(moto, agent, 'GET', '/keepalive-bucket', '', { connection: 'close' });
      expect(answer.status).toBe(200);
      expect(answer.connection).toBe('close');
    } finally {
      agent.destroy();
    }
  });
});
