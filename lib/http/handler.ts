/**
 * An API Gateway handler in one call: Powertools Logger with the Lambda context (request id, cold start), request logs, JSON errors, optionally a size-limited JSON body, and
 * a plain function that turns the event into { statusCode, body }.
 */
import middy from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { httpErrors, jsonBody, jsonResponse, requestLogging, type ApiEvent } from './middlewares.ts';

export interface ApiResult {
  statusCode: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export function apiHandler(service: string, run: (event: ApiEvent) => Promise<ApiResult>, options: { jsonBody?: { maxBytes: number } } = {}) {
  const logger = new Logger({ serviceName: service });
  const handler = middy<ApiEvent, APIGatewayProxyResult>().use(injectLambdaContext(logger)).use(requestLogging({ logger })).use(httpErrors({ logger }));
  if (options.jsonBody) handler.use(jsonBody(options.jsonBody));
  return handler.handler(async (event) => {
    const { statusCode, body, headers } = await run(event);
    return jsonResponse(statusCode, body, headers);
  });
}
