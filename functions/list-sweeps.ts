/** GET /sweeps?status=&limit=&cursor= — sweeps, newest first. */
import middy from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { listSweeps } from '../lib/api/sweeps.ts';
import { readDepsFromEnv } from '../lib/api/deps.ts';
import { httpErrors, jsonLogger, jsonResponse, requestLogging, type ApiEvent } from '../lib/http/middlewares.ts';

const logger = jsonLogger('list-sweeps');
const deps = readDepsFromEnv();

export const handler = middy<ApiEvent, APIGatewayProxyResult>()
  .use(requestLogging({ logger }))
  .use(httpErrors({ logger }))
  .handler(async (event) => {
    const { statusCode, body } = await listSweeps(deps, event.queryStringParameters);
    return jsonResponse(statusCode, body);
  });
