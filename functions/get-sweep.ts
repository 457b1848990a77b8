/** GET /sweeps/{id} — a sweep's summary. */
import middy from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { readSweep } from '../lib/api/sweeps.ts';
import { readDepsFromEnv } from '../lib/api/deps.ts';
import { httpErrors, jsonLogger, jsonResponse, requestLogging, type ApiEvent } from '../lib/http/middlewares.ts';

const logger = jsonLogger('get-sweep');
const deps = readDepsFromEnv();

export const handler = middy<ApiEvent, APIGatewayProxyResult>()
  .use(requestLogging({ logger }))
  .use(httpErrors({ logger }))
  .handler(async (event) => {
    const { statusCode, body } = await readSweep(deps, event.pathParameters?.id);
    return jsonResponse(statusCode, body);
  });
