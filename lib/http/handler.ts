/**
 * An API Gateway handler in one call: lib/handler.ts's wrapper with request logs, JSON errors, optionally a size-limited
 * JSON body, and a plain function that turns the event into { statusCode, body }.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { lambdaHandler } from '../handler.ts';
import { httpErrors, jsonBody, jsonResponse, requestLogging, type ApiEvent } from './middlewares.ts';

export interface ApiResult {
  statusCode: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export function apiHandler(service: string, run: (event: ApiEvent) => Promise<ApiResult>, options: { jsonBody?: { maxBytes: number } } = {}) {
  const middlewares = (logger: Parameters<typeof requestLogging>[0]['logger']) => [
    requestLogging({ logger }),
    httpErrors({ logger }),
    ...(options.jsonBody ? [jsonBody(options.jsonBody)] : []),
  ];
  return lambdaHandler<ApiEvent, APIGatewayProxyResult>({ service, middlewares }, async (event) => {
    const { statusCode, body, headers } = await run(event);
    return jsonResponse(statusCode, body, headers);
  });
}
