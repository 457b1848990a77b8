/**
 * moto_server as startMoto runs it (emulator/python/sitecustomize.py) keeps a connection open between requests
 * (werkzeug alone closes every one), serves request bodies whole on a kept connection, and still closes when the
 * client asks; it writes nothing to stderr for a request served well, and sends its answers without Nagle's delay.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { MotoServer } from '../../emulator/moto.ts';
import { motoForFile, pythonWithStackPatches } from '../support/moto-for-file.ts';

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
  const file = motoForFile();

  it('keeps one connection for request after request, bodies included', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const sockets = new Set<unknown>();
      const created = await send(file.server, agent, 'PUT', '/keepalive-bucket');
      expect(created.status).toBe(200);
      sockets.add(created.socket);
      for (const i of [1, 2, 3]) {
        const put = await send(file.server, agent, 'PUT', `/keepalive-bucket/object-${i}`, `body ${i} `.repeat(1000));
        expect(put.status).toBe(200);
        expect(put.connection).not.toBe('close');
        sockets.add(put.socket);
      }
      const got = await send(file.server, agent, 'GET', '/keepalive-bucket/object-2');
      sockets.add(got.socket);
      expect(got.body).toBe('body 2 '.repeat(1000));
      expect(sockets.size).toBe(1);
      // werkzeug's drain after a kept request raised (and logged its traceback) for every request, unseen
      expect(file.server.stderr()).not.toMatch(/Error on request|Traceback|"(PUT|GET) \/keepalive-bucket/);
    } finally {
      agent.destroy();
    }
  });

  it('closes the connection when the client asks', async () => {
    const agent = new Agent({ keepAlive: true });
    try {
      const answer = await send(file.server, agent, 'GET', '/keepalive-bucket', '', { connection: 'close' });
      expect(answer.status).toBe(200);
      expect(answer.connection).toBe('close');
    } finally {
      agent.destroy();
    }
  });
});

/**
 * A kept connection's answer is written in two sends (headers, then body): with Nagle's algorithm the body waits for
 * the client's delayed ACK of the headers, 40 ms a request (2,000 sequential PutItems: 96 s, 8.6 s without). werkzeug's
 * handler as the stack's sitecustomize.py sets it up, asked for the option on the socket it serves.
 */
const NODELAY = `
import socket, threading, http.client, sitecustomize
from werkzeug.serving import make_server
def app(environ, start_response):
    on = environ['werkzeug.socket'].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    start_response('200 OK', [('Content-Length', '1')])
    return [b'1' if on else b'0']
server = make_server('127.0.0.1', 0, app, threaded=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
c = http.client.HTTPConnection('127.0.0.1', server.server_port)
c.request('GET', '/'); print(c.getresponse().read().decode())
server.shutdown()
`;

/** moto_server finds the service of a request without listing its own package folder each time */
const SERVICES_ONCE = `
import sitecustomize
from moto import backends
print(backends.list_of_moto_modules() is backends.list_of_moto_modules(), 's3' in backends.list_of_moto_modules())
`;

/** an error's table of codes is built once per service, and the service's model loaded once, not once per thread */
const ERRORS_ONCE = `
import threading, sitecustomize
from moto.core import errors, utils
from moto.s3.exceptions import NoSuchUpload
models = []
threads = [threading.Thread(target=lambda: models.append(utils.get_service_model('s3'))) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
shared = errors.ErrorLookupFactory()._error_lut_cache is errors.ErrorLookupFactory()._error_lut_cache
print(len({id(m) for m in models}), shared, errors.get_error_model(NoSuchUpload('u'), models[0]).error_code)
`;

describe("moto_server's request handling, as the stack patches it", () => {
  it("answers on sockets with Nagle's algorithm off", () => {
    expect(pythonWithStackPatches(NODELAY)).toBe('1');
  });

  it("builds a service's table of errors once and loads its model once, for all its threads", () => {
    expect(pythonWithStackPatches(ERRORS_ONCE)).toBe('1 True NoSuchUpload');
  });

  it('lists the services it serves once, not per request', () => {
    expect(pythonWithStackPatches(SERVICES_ONCE)).toBe('True True');
  });
});
