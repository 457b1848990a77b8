/**
 * The local HTTP API: runs the SAME middy handlers as Lambda behind a small adapter that turns each HTTP request
 * into an API Gateway (REST, proxy) event. Routes come from serverless.yml's `http` events, so the local API
 * cannot drift from the deployed one.
 *
 * On AWS the API is IAM-authorized: a browser cannot sign its requests. Locally there is no authorization, so the
 * server listens on the loopback interface only, answers only requests addressed to a loopback host name (no DNS
 * rebinding), and refuses request bodies that are not application/json (415): a web page can send a text/plain or
 * form POST cross-site without a CORS preflight, but not an application/json one.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { importHandler } from './lambdas.ts';
import { HttpError, badRequest } from 's3-mpu-reaper/lib/http/errors.ts';
import { charsetRefusal, payloadTooLarge } from 's3-mpu-reaper/lib/http/middlewares.ts';
import { listen } from './listen.ts';

const ROOT = fileURLToPath(new URL('./', import.meta.resolve('s3-mpu-reaper/package.json')));

export interface Route {
  method: string;
  /** API Gateway resource path, e.g. /aborts/{id} */
  path: string;
  /** module path relative to the project root, without extension, and the export name */
  handler: string;
}

/** Every `http` event of every function in serverless.yml. */
export function routesFromServerlessYml(file = `${ROOT}serverless.yml`): Route[] {
  type Fn = { handler: string; events?: Array<{ http?: { method: string; path: string } }> };
  const config = parse(readFileSync(file, 'utf8')) as { functions?: Record<string, Fn> };
  return Object.values(config.functions ?? {}).flatMap((fn) =>
    (fn.events ?? [])
      .filter((e) => e.http)
      .map((e) => ({ method: e.http!.method.toUpperCase(), path: `/${e.http!.path.replace(/^\//, '')}`, handler: fn.handler })),
  );
}

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

function compile(route: Route) {
  const names: string[] = [];
  const source = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { ...route, regex: new RegExp(`^${source}/?$`), names };
}

/** API Gateway's payload quota: a bigger request body is answered 413 before any Lambda runs (API Gateway quotas) */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The body, kept up to limit bytes and counted to its end, so that a 413 can state the size it really has. */
async function readBody(req: IncomingMessage, limit: number): Promise<{ text: string; size: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), size };
}

/** A path parameter decoded as API Gateway passes it; a malformed percent-encoding (%ZZ, a cut UTF-8 sequence) is a 400. */
export function decodePathParameter(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest(name, `must be percent-encoded UTF-8, got ${JSON.stringify(raw)}`);
  }
}

export function toProxyEvent(
  req: { method: string; url: URL; headers: Record<string, string>; body: string },
  route: Route,
  pathParameters: Record<string, string> | null,
): APIGatewayProxyEvent {
  const query = Object.fromEntries(req.url.searchParams);
  return {
    httpMethod: req.method,
    path: req.url.pathname,
    resource: route.path,
    headers: req.headers,
    multiValueHeaders: {},
    pathParameters,
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    body: req.body === '' ? null : req.body,
    isBase64Encoded: false,
    requestContext: {
      requestId: randomUUID(),
      httpMethod: req.method,
      path: req.url.pathname,
      resourcePath: route.path,
      stage: 'local',
    } as APIGatewayProxyEvent['requestContext'],
  };
}

/** the only interfaces the local API listens on: it has no authorization */
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'];

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Why a request must be refused before it reaches a handler: a Host header that is not a loopback name (a page of
 * another site whose name was rebound to 127.0.0.1), or a body that is not JSON. The error's body is the one the
 * handlers answer with ({ error, message, field, rule }).
 */
export function refusal(method: string, headers: Record<string, string | undefined>): HttpError | undefined {
  const hostName = (headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  if (!LOOPBACK_HOSTS.includes(hostName)) {
    return new HttpError(403, 'Forbidden', `host: the local API answers requests to ${LOOPBACK_HOSTS.join(', ')} only`, { field: 'host' });
  }
  const type = headers['content-type'];
  if (METHODS_WITH_BODY.has(method) && !/^application\/json\s*(;|$)/i.test(type ?? '')) {
    const rule = `must be application/json, got ${type || 'none'}`;
    return new HttpError(415, 'UnsupportedMediaType', `content-type: ${rule}`, { field: 'content-type', rule });
  }
  return METHODS_WITH_BODY.has(method) ? charsetRefusal(type) : undefined;
}

export interface LocalApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startLocalApi(options: { port: number; host?: string; routes?: Route[]; log?: (line: string) => void }): Promise<LocalApi> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.includes(host)) {
    throw new Error(`the local API has no authorization: it listens on a loopback address only (${LOOPBACK_HOSTS.join(', ')}), not ${host}`);
  }
  const routes = (options.routes ?? routesFromServerlessYml()).map(compile);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    try {
      const refused = refusal(req.method ?? 'GET', req.headers as Record<string, string | undefined>);
      if (refused) {
        send(refused.statusCode, refused.body);
        options.log?.(`${req.method} ${url.pathname} → ${refused.statusCode} (${refused.message})`);
        return;
      }
      const candidates = routes.filter((r) => r.regex.test(url.pathname));
      const route = candidates.find((r) => r.method === req.method);
      if (!route) {
        const message = `no route for ${req.method} ${url.pathname}`;
        if (candidates.length === 0) send(404, { error: 'NotFound', message });
        // RFC 9110 §15.5.6: a 405 lists the methods the resource has
        else send(405, { error: 'MethodNotAllowed', message }, { allow: [...new Set(candidates.map((r) => r.method))].join(', ') });
        return;
      }
      const match = route.regex.exec(url.pathname)!;
      const pathParameters = route.names.length ? Object.fromEntries(route.names.map((n, i) => [n, decodePathParameter(n, match[i + 1])])) : null;
      const { text: body, size } = await readBody(req, API_GATEWAY_MAX_BODY_BYTES);
      if (size > API_GATEWAY_MAX_BODY_BYTES) throw payloadTooLarge(API_GATEWAY_MAX_BODY_BYTES, size);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
      const event = toProxyEvent({ method: req.method!, url, headers, body }, route, pathParameters);
      const context = {
        awsRequestId: event.requestContext.requestId,
        functionName: route.handler,
        getRemainingTimeInMillis: () => 30_000,
      } as unknown as Context;
      const handler = await importHandler<Handler>(route.handler);
      const result = await handler(event, context);
      send(result.statusCode, result.body ?? '', (result.headers ?? {}) as Record<string, string>);
      options.log?.(`${req.method} ${url.pathname} → ${result.statusCode}`);
    } catch (error) {
      if (error instanceof HttpError) {
        send(error.statusCode, error.body);
        options.log?.(`${req.method} ${url.pathname} → ${error.statusCode} (${error.message})`);
      } else send(500, { error: 'InternalError', message: (error as Error).message });
    }
  });
  return listen(server, options.port, host);
}
