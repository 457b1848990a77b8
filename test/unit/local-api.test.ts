/** The local API's own guards (it has no IAM authorization): loopback only, JSON bodies only. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_GATEWAY_MAX_BODY_BYTES, refusal, startLocalApi, type LocalApi } from '../../emulator/api-server.ts';

let api: LocalApi;

beforeAll(async () => {
  // a route whose handler module does not exist: a request that passes the guards ends in a 500, never a 415/403
  api = await startLocalApi({
    port: 0,
    routes: [
      { method: 'POST', path: '/aborts', handler: 'test/unit/no-such-handler.handler' },
      { method: 'GET', path: '/aborts', handler: 'test/unit/no-such-handler.handler' },
      { method: 'GET', path: '/sweeps/{id}', handler: 'test/unit/no-such-handler.handler' },
    ],
  });
});

afterAll(async () => {
  await api?.close();
});

const post = (contentType: string | undefined, host?: string) =>
  new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const headers: Record<string, string> = { ...(contentType ? { 'content-type': contentType } : {}), ...(host ? { host } : {}) };
    const req = request(`${api.url}/aborts`, { method: 'POST', headers }, (res) => {
      let text = '';
      res
        .on('data', (chunk) => {
          text += chunk;
        })
        .on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject).end('{"bucket":"b","key":"k","uploadId":"u"}');
  });

describe('local API guards', () => {
  it('listens on 127.0.0.1 and refuses to listen anywhere else', async () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(startLocalApi({ port: 0, host: '0.0.0.0', routes: [] })).rejects.toThrow(/loopback/);
  });

  it.each([['text/plain;charset=UTF-8'], ['application/x-www-form-urlencoded'], ['multipart/form-data; boundary=x'], [undefined]])(
    'answers 415 with the JSON error body to a POST whose content-type is %s',
    async (contentType) => {
      // Act
      const answer = await post(contentType);

      // Assert
      expect(answer).toEqual({
        status: 415,
        body: {
          error: 'UnsupportedMediaType',
          message: expect.stringContaining('content-type'),
          field: 'content-type',
          rule: expect.stringContaining('application/json'),
        },
      });
    },
  );

  it('lets an application/json POST through to the handler', async () => {
    expect((await post('application/json; charset=utf-8')).status).toBe(500);
  });

  it('answers 403 to a request addressed to another host name (DNS rebinding)', async () => {
    expect(await post('application/json', 'attacker.example:3000')).toMatchObject({ status: 403, body: { error: 'Forbidden', field: 'host' } });
  });

  it('accepts the loopback host names, with or without a port', () => {
    for (const host of ['127.0.0.1:3000', 'localhost', '[::1]:3000']) expect(refusal('GET', { host })).toBeUndefined();
  });
});

/** one request to the local API: its status, headers and JSON body */
const send = (method: string, path: string, options: { headers?: Record<string, string>; body?: string | Buffer } = {}) =>
  new Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> }>((resolve, reject) => {
    const req = request(`${api.url}${path}`, { method, headers: options.headers }, (res) => {
      let text = '';
      res
        .on('data', (chunk) => {
          text += chunk;
        })
        .on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) }));
    });
    req.on('error', reject).end(options.body);
  });

describe('local API answers to malformed requests', () => {
  it.each(['%ZZ', '%E0%A4%A', '%C3', 'a%'])('answers 400 naming the id to GET /sweeps/%s', async (id) => {
    // Act
    const answer = await send('GET', `/sweeps/${id}`);

    // Assert
    expect(answer).toMatchObject({
      status: 400,
      body: { error: 'ValidationError', field: 'id', rule: `must be percent-encoded UTF-8, got ${JSON.stringify(id)}` },
    });
  });

  it('passes a well-formed percent-encoded id on to the handler', async () => {
    expect((await send('GET', '/sweeps/sweep-%41')).status).toBe(500);
  });

  it('answers 405 with an Allow header naming the methods the path has', async () => {
    // Act
    const answer = await send('DELETE', '/aborts');

    // Assert
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('POST, GET');
    expect(answer.body).toMatchObject({ error: 'MethodNotAllowed' });
  });

  it('answers 415 to a JSON body declared in another charset than UTF-8', async () => {
    // Act
    const answer = await send('POST', '/aborts', { headers: { 'content-type': 'application/json; charset=iso-8859-1' }, body: '{}' });

    // Assert
    expect(answer).toMatchObject({ status: 415, body: { field: 'content-type', rule: 'must declare charset=utf-8 or no charset, got charset=iso-8859-1' } });
  });

  it("answers 413 over API Gateway's payload limit, stating the limit and the body's whole size", async () => {
    // Arrange
    const size = API_GATEWAY_MAX_BODY_BYTES + 4096;

    // Act
    const answer = await send('POST', '/aborts', { headers: { 'content-type': 'application/json' }, body: Buffer.alloc(size, 0x20) });

    // Assert
    expect(answer).toMatchObject({
      status: 413,
      body: {
        error: 'PayloadTooLarge',
        message: `body: must be at most ${API_GATEWAY_MAX_BODY_BYTES} bytes, got ${size}`,
        maxBytes: API_GATEWAY_MAX_BODY_BYTES,
        size,
      },
    });
  });
});
