/** The project's Lambda handlers, loaded in-process by the local stack: the same code as on Lambda. */
import { pathToFileURL } from 'node:url';
import { FUNCTIONS } from '../settings.ts';

const ROOT = new URL('../../', import.meta.url);

type Handler = (event: unknown, context: unknown) => Promise<unknown>;
const loaded = new Map<string, Promise<Handler>>();

/** A serverless.yml handler spec ("functions/create-abort.handler") → that export of functions/create-abort.ts, imported once. */
export function importHandler<H = Handler>(spec: string): Promise<H> {
  let handler = loaded.get(spec);
  if (!handler) {
    const dot = spec.lastIndexOf('.');
    const [modulePath, exportName] = [spec.slice(0, dot), spec.slice(dot + 1)];
    handler = import(pathToFileURL(new URL(`${modulePath}.ts`, ROOT).pathname).href).then((m: Record<string, Handler>) => m[exportName]);
    loaded.set(spec, handler);
  }
  return handler as Promise<H>;
}

/** Runs a function in-process as Lambda would: its handler with the payload and a context naming the function. */
export async function invokeFunction(fn: { name: string; handler: string }, payload: unknown): Promise<unknown> {
  const handler = await importHandler(fn.handler);
  return handler(payload, { functionName: fn.name, awsRequestId: crypto.randomUUID(), getRemainingTimeInMillis: () => 30_000 });
}

/** The functions state machines invoke (lambda:invoke), by function name. */
export function localLambdaHandlers(): Record<string, (payload: unknown) => Promise<unknown>> {
  return Object.fromEntries(Object.values(FUNCTIONS).map((fn) => [fn.name, (payload: unknown) => invokeFunction(fn, payload)]));
}
