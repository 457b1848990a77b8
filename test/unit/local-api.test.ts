/** The local API's own guards (it has no IAM authorization): loopback only, JSON bodies only. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal, startLocalApi, type LocalApi } from '../../lib/local/api-server.ts';

let api: LocalApi;

beforeAll(async () => {
  // a route whose handler module does not exist: a request that passes the guards ends in a 500, never a 415/403
  api = await startLocalApi({ port: 0, routes: [{ method: 'POST', path: '/aborts', handler: 'test/unit/no-such-handler.handler' }] });
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
