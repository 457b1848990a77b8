/** The project's Lambda functions that state machines invoke, run in-process by the local runtime (same handler code). */
import { pathToFileURL } from 'node:url';
import { FUNCTIONS } from '../settings.ts';

const ROOT = new URL('../../', import.meta.url);

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

export function localLambdaHandlers(): Record<string, (payload: unknown) => Promise<unknown>> {
  return Object.fromEntries(Object.values(FUNCTIONS).map((fn) => {
    const [modulePath, exportName] = [fn.handler.slice(0, fn.handler.lastIndexOf('.')), fn.handler.slice(fn.handler.lastIndexOf('.') + 1)];
    let loaded: Promise<Handler> | undefined;
    const invoke = async (payload: unknown) => {
      loaded ??= import(pathToFileURL(new URL(`${modulePath}.ts`, ROOT).pathname).href).then((m: Record<string, Handler>) => m[exportName]);
      const handler = await loaded;
      return handler(payload, { functionName: fn.name, awsRequestId: crypto.randomUUID(), getRemainingTimeInMillis: () => 30_000 });
    };
    return [fn.name, invoke];
  }));
}
