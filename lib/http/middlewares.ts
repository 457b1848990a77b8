/**
 * Small middy middlewares for the API handlers, each with validated options (after middyjs/middy's style):
 * request logs (with the caller's identity), a size-limited JSON body parser, and JSON error responses.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { HttpError, badRequest } from './errors.ts';

export type ApiEvent = APIGatewayProxyEvent & { parsedBody?: unknown };
type ApiMiddleware = MiddlewareObj<ApiEvent, APIGatewayProxyResult, Error, Context>;

/** the logging the middlewares need: Powertools for AWS Lambda's Logger satisfies it */
export interface Logger {
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}

/** who called: API Gateway's IAM authoriser puts the SigV4 caller's identity in the request context */
export function callerOf(event: APIGatewayProxyEvent): { caller?: string; sourceIp?: string } {
  const identity = event.requestContext?.identity;
  const caller = identity?.userArn ?? identity?.caller ?? undefined;
  return { ...(caller ? { caller } : {}), ...(identity?.sourceIp ? { sourceIp: identity.sourceIp } : {}) };
}

export function requestLogging(options: { logger: Logger }): ApiMiddleware {
  if (!options?.logger) throw new TypeError('requestLogging: options.logger is required');
  const started = new WeakMap<object, number>();
  return {
    before: (request) => {
      started.set(request, Date.now());
    },
    after: (request) => {
      options.logger.info('request', {
        method: request.event.httpMethod,
        path: request.event.path,
        statusCode: request.response?.statusCode,
        ...callerOf(request.event),
        durationMs: Date.now() - (started.get(request) ?? Date.now()),
      });
    },
  };
}

/** a header's value whatever the case of its name (API Gateway passes the names as the client sent them) */
export function headerValue(headers: Record<string, string | undefined> | null | undefined, name: string): string | undefined {
  const found = Object.keys(headers ?? {}).find((key) => key.toLowerCase() === name);
  return found === undefined ? undefined : headers![found];
}

/**
 * A body whose content-type declares a charset other than UTF-8 (JSON is UTF-8: RFC 8259 §8.1) → 415: decoding it as
 * UTF-8 would read other characters than the client meant (another key, another bucket).
 */
export function charsetRefusal(contentType: string | undefined): HttpError | undefined {
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType ?? '')?.[1];
  if (charset === undefined || /^utf-?8$/i.test(charset)) return undefined;
  const rule = `must declare charset=utf-8 or no charset, got charset=${charset}`;
  return new HttpError(415, 'UnsupportedMediaType', `content-type: ${rule}`, { field: 'content-type', rule });
}

/** 413 stating the limit and the size the body really has */
export const payloadTooLarge = (maxBytes: number, size: number) =>
  new HttpError(413, 'PayloadTooLarge', `body: must be at most ${maxBytes} bytes, got ${size}`, {
    field: 'body',
    rule: `must be at most ${maxBytes} bytes`,
    maxBytes,
    size,
  });

/**
 * Parses a JSON object body; a charset other than UTF-8 → 415, over maxBytes → 413, not JSON or not an object → 400
 * naming "body".
 */
export function jsonBody(options: { maxBytes: number }): ApiMiddleware {
  if (!Number.isInteger(options?.maxBytes) || options.maxBytes < 1) throw new TypeError('jsonBody: options.maxBytes must be a positive integer');
  return {
    before: (request) => {
      const { body, isBase64Encoded } = request.event;
      const charset = charsetRefusal(headerValue(request.event.headers, 'content-type'));
      if (charset) throw charset;
      const text = body == null ? '' : isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
      const size = Buffer.byteLength(text, 'utf8');
      if (size > options.maxBytes) throw payloadTooLarge(options.maxBytes, size);
      if (text.trim() === '') throw badRequest('body', 'must be a JSON object');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw badRequest('body', 'must be valid JSON');
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('body', 'must be a JSON object');
      request.event.parsedBody = parsed;
    },
  };
}

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** HttpError → its status and JSON body; anything else → 500 without internals, logged. */
export function httpErrors(options: { logger: Logger }): ApiMiddleware {
  if (!options?.logger) throw new TypeError('httpErrors: options.logger is required');
  return {
    onError: (request) => {
      const error = request.error;
      if (error instanceof HttpError) {
        request.response = jsonResponse(error.statusCode, error.body, error.headers);
        return;
      }
      options.logger.error('unhandled error', { errorName: error?.name, errorMessage: error?.message });
      request.response = jsonResponse(500, { error: 'InternalError', message: 'the request failed; see the function logs' });
    },
  };
}
