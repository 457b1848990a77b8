/** GET /aborts?status=&bucket=&limit=&cursor= — records, newest first. */
import middy from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { listAborts } from '../lib/api/aborts.ts';
import { apiDepsFromEnv } from '../lib/api/deps.ts';
import { httpErrors, jsonLogger, jsonResponse, requestLogging, type ApiEvent } from '../lib/http/middlewares.ts';

const logger = jsonLogger('list-aborts');
const deps = apiDepsFromEnv();

export const handler = middy<ApiEvent, APIGatewayProxyResult>()
  .use(requestLogging({ logger }))
  .use(httpErrors({ logger }))
  .handler(async (event) => {
    const { statusCode, body } = await listAborts(deps, event.queryStringParameters);
    return jsonResponse(statusCode, body);
  });
