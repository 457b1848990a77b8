/** POST /aborts — start the abort-until-empty workflow for one upload. */
import middy from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { requestAbort } from '../lib/api/aborts.ts';
import { apiDepsFromEnv } from '../lib/api/deps.ts';
import { httpErrors, jsonBody, jsonLogger, jsonResponse, requestLogging, type ApiEvent } from '../lib/http/middlewares.ts';

const logger = jsonLogger('create-abort');
const deps = apiDepsFromEnv();

export const handler = middy<ApiEvent, APIGatewayProxyResult>()
  .use(requestLogging({ logger }))
  .use(httpErrors({ logger }))
  .use(jsonBody({ maxBytes: 16 * 1024 }))
  .handler(async (event) => {
    const { statusCode, body } = await requestAbort(deps, event.parsedBody);
    return jsonResponse(statusCode, body, statusCode === 202 ? { location: String(body.links && (body.links as { self: string }).self) } : {});
  });
