/** The HTTP handlers' middlewares (lib/http/middlewares.ts). */
import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { charsetRefusal, httpErrors, jsonBody, requestLogging } from '../../lib/http/middlewares.ts';

describe('requestLogging', () => {
  it('logs each request with its status and the SigV4 caller API Gateway authorised', async () => {
    // Arrange
    const logged: Array<Record<string, unknown>> = [];
    const logger = { info: (message: string, fields: Record<string, unknown> = {}) => logged.push({ message, ...fields }), error: () => undefined };
    const handler = middy()
      .use(requestLogging({ logger }))
      .handler(async () => ({ statusCode: 202, body: '{}' }));
    const event = {
      httpMethod: 'POST',
      path: '/aborts',
      requestContext: { identity: { userArn: 'arn:aws:iam::111122223333:user/ops', sourceIp: '203.0.113.9' } },
    };

    // Act
    await handler(event as never, {} as never);

    // Assert
    expect(logged).toEqual([
      expect.objectContaining({
        message: 'request',
        method: 'POST',
        path: '/aborts',
        statusCode: 202,
        caller: 'arn:aws:iam::111122223333:user/ops',
        sourceIp: '203.0.113.9',
      }),
    ]);
  });
});

describe('jsonBody', () => {
  const logger = { info: () => undefined, error: () => undefined };
  const handlerOf = (maxBytes: number) =>
    middy()
      .use(httpErrors({ logger }))
      .use(jsonBody({ maxBytes }))
      .handler(async (event: { parsedBody?: unknown }) => ({ statusCode: 200, body: JSON.stringify(event.parsedBody) }));
  const post = (body: string, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
    handlerOf(64)({ httpMethod: 'POST', path: '/aborts', headers, body, isBase64Encoded: false } as never, {} as never) as Promise<{
      statusCode: number;
      body: string;
    }>;

  it('answers 413 stating the limit and the size the body has', async () => {
    // Act
    const response = await post(`{"key":"${'é'.repeat(100)}"}`);

    // Assert
    expect(response.statusCode).toBe(413);
    expect(JSON.parse(response.body)).toEqual({
      error: 'PayloadTooLarge',
      message: 'body: must be at most 64 bytes, got 210',
      field: 'body',
      rule: 'must be at most 64 bytes',
      maxBytes: 64,
      size: 210,
    });
  });

  it.each(['application/json; charset=iso-8859-1', 'application/json;charset="UTF-16"', 'APPLICATION/JSON; Charset=latin1'])(
    'answers 415 to a body declared as %s',
    async (contentType) => {
      // Act
      const response = await post('{"key":"caf\u00e9"}', { 'content-type': contentType });

      // Assert
      expect(response.statusCode).toBe(415);
      expect(JSON.parse(response.body)).toMatchObject({ error: 'UnsupportedMediaType', field: 'content-type', rule: expect.stringContaining('charset=utf-8') });
    },
  );

  it.each(['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF8', 'application/json; charset="utf-8"'])(
    'parses a body declared as %s',
    async (contentType) => {
      expect(await post('{"a":1}', { 'Content-Type': contentType })).toEqual({ statusCode: 200, body: '{"a":1}' });
    },
  );

  it('declares no refusal for a content-type without charset', () => {
    expect(charsetRefusal(undefined)).toBeUndefined();
    expect(charsetRefusal('application/json')).toBeUndefined();
  });
});
