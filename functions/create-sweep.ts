/** POST /sweeps — start a sweep of stale incomplete uploads. */
import middy from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { requestSweep } from '../lib/api/sweeps.ts';
import { sweepApiDepsFromEnv } from '../lib/api/deps.ts';
import { httpErrors, jsonBody, jsonLogger, jsonResponse, requestLogging, type ApiEvent } from '../lib/http/middlewares.ts';

const logger = jsonLogger('create-sweep');
const deps = sweepApiDepsFromEnv();

export const handler = middy<ApiEvent, APIGatewayProxyResult>()
  .use(requestLogging({ logger }))
  .use(httpErrors({ logger }))
  .use(jsonBody({ maxBytes: 16 * 1024 }))
  .handler(async (event) => {
    const { statusCode, body } = await requestSweep(deps, event.parsedBody);
    return jsonResponse(statusCode, body, { location: (body.links as { self: string }).self });
  });
