/** GET /aborts/{id} — one upload's record. */
import middy from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { readAbort } from '../lib/api/aborts.ts';
import { apiDepsFromEnv } from '../lib/api/deps.ts';
import { httpErrors, jsonLogger, jsonResponse, requestLogging, type ApiEvent } from '../lib/http/middlewares.ts';

const logger = jsonLogger('get-abort');
const deps = apiDepsFromEnv();

export const handler = middy<ApiEvent, APIGatewayProxyResult>()
  .use(requestLogging({ logger }))
  .use(httpErrors({ logger }))
  .handler(async (event) => {
    const { statusCode, body } = await readAbort(deps, event.pathParameters?.id);
    return jsonResponse(statusCode, body);
  });
