/**
 * The local HTTP API: runs the SAME middy handlers as Lambda behind a small adapter that turns each HTTP request
 * into an API Gateway (REST, proxy) event. Routes come from serverless.yml's `http` events, so the local API
 * cannot drift from the deployed one.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { importHandler } from './lambdas.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Route {
  method: string;
  /** API Gateway resource path, e.g. /aborts/{id} */
  path: string;
  /** module path relative to the project root, without extension, and the export name */
  handler: string;
}

/** Every `http` event of every function in serverless.yml. */
export function routesFromServerlessYml(file = `${ROOT}serverless.yml`): Route[] {
  const config = parse(readFileSync(file, 'utf8')) as { functions?: Record<string, { handler: string; events?: Array<{ http?: { method: string; path: string } }> }> };
  return Object.values(config.functions ?? {}).flatMap((fn) => (fn.events ?? [])
    .filter((e) => e.http)
    .map((e) => ({ method: e.http!.method.toUpperCase(), path: `/${e.http!.path.replace(/^\//, '')}`, handler: fn.handler })));
}

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

function compile(route: Route) {
  const names: string[] = [];
  const source = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => { names.push(name); return '([^/]+)'; });
  return { ...route, regex: new RegExp(`^${source}/?$`), names };
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) break; // the handler's own size check answers 413; stop reading a runaway body
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function toProxyEvent(req: { method: string; url: URL; headers: Record<string, string>; body: string }, route: Route, pathParameters: Record<string, string> | null): APIGatewayProxyEvent {
  const query = Object.fromEntries(req.url.searchParams);
  return {
    httpMethod: req.method, path: req.url.pathname, resource: route.path, headers: req.headers, multiValueHeaders: {},
    pathParameters, queryStringParameters: Object.keys(query).length ? query : null, multiValueQueryStringParameters: null,
    stageVariables: null, body: req.body === '' ? null : req.body, isBase64Encoded: false,
    requestContext: { requestId: randomUUID(), httpMethod: req.method, path: req.url.pathname, resourcePath: route.path, stage: 'local' } as APIGatewayProxyEvent['requestContext'],
  };
}

export async function startLocalApi(options: { port: number; host?: string; routes?: Route[]; log?: (line: string) => void }): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const routes = (options.routes ?? routesFromServerlessYml()).map(compile);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    try {
      const candidates = routes.filter((r) => r.regex.test(url.pathname));
      const route = candidates.find((r) => r.method === req.method);
      if (!route) {
        send(candidates.length ? 405 : 404, { error: candidates.length ? 'MethodNotAllowed' : 'NotFound', message: `no route for ${req.method} ${url.pathname}` });
        return;
      }
      const match = route.regex.exec(url.pathname)!;
      const pathParameters = route.names.length ? Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match[i + 1])])) : null;
      const body = await readBody(req, 1024 * 1024);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v ?? '']));
      const event = toProxyEvent({ method: req.method!, url, headers, body }, route, pathParameters);
      const context = { awsRequestId: event.requestContext.requestId, functionName: route.handler, getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
      const handler = await importHandler<Handler>(route.handler);
      const result = await handler(event, context);
      send(result.statusCode, result.body ?? '', (result.headers ?? {}) as Record<string, string>);
      options.log?.(`${req.method} ${url.pathname} → ${result.statusCode}`);
    } catch (error) {
      send(500, { error: 'InternalError', message: (error as Error).message });
    }
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(options.port, options.host ?? '127.0.0.1', resolve); });
  const { port } = server.address() as { port: number };
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
