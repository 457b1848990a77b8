/** The HTTP handlers' middlewares (lib/http/middlewares.ts). */
import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { requestLogging } from '../../lib/http/middlewares.ts';

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
