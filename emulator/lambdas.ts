/** The project's Lambda handlers, run in-process by the local stack. */
import { pathToFileURL } from 'node:url';
import { prepareRun, recordOutcome, type LoopState, type PrepareRunEvent, type RunDeps } from 's3-mpu-reaper/lib/abort-run.ts';
import { FUNCTIONS } from 's3-mpu-reaper/lib/settings.ts';
import { sweepLambdaHandlers } from 's3-mpu-reaper/lib/sweep/lambdas.ts';
import type { SweepDeps } from 's3-mpu-reaper/lib/sweep/requests.ts';

const ROOT = new URL('./', import.meta.resolve('s3-mpu-reaper/package.json'));

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

type Invoke = (payload: unknown) => Promise<unknown>;

/** Runs a function in-process as Lambda would: its handler with the payload and a context naming the function. */
export async function invokeFunction(fn: { name: string; handler: string }, payload: unknown): Promise<unknown> {
  const handler = await importHandler(fn.handler);
  return handler(payload, { functionName: fn.name, awsRequestId: crypto.randomUUID(), getRemainingTimeInMillis: () => 30_000 });
}

/**
 * The functions that use AWS clients, bound to one stack's clients and table: the same core functions their handlers in
 * functions/ call, with the dependencies injected (a handler module reads its environment once per process, which
 * would tie every stack in the process to the first one's table and endpoint).
 */
const BOUND: Partial<Record<keyof typeof FUNCTIONS, (deps: RunDeps, sweep: SweepDeps) => Invoke>> = {
  prepareRun: (deps) => (payload) => prepareRun(deps, payload as PrepareRunEvent),
  recordOutcome: (deps) => (payload) => recordOutcome(deps, payload as LoopState),
  planSweep: (_deps, sweep) => sweepLambdaHandlers(sweep)[FUNCTIONS.planSweep.name],
  sweepLanes: (_deps, sweep) => sweepLambdaHandlers(sweep)[FUNCTIONS.sweepLanes.name],
  sweepList: (_deps, sweep) => sweepLambdaHandlers(sweep)[FUNCTIONS.sweepList.name],
  sweepRecord: (_deps, sweep) => sweepLambdaHandlers(sweep)[FUNCTIONS.sweepRecord.name],
  sweepFinish: (_deps, sweep) => sweepLambdaHandlers(sweep)[FUNCTIONS.sweepFinish.name],
};

/**
 * The functions state machines invoke (lambda:invoke), by function name; those without clients run their handler module.
 * The sweep's functions take `sweep` when given: on Lambda they have clients of their own (lib/sweep/clients.ts).
 */
export function localLambdaHandlers(deps: RunDeps, sweep: SweepDeps = deps): Record<string, Invoke> {
  return Object.fromEntries(
    (Object.keys(FUNCTIONS) as Array<keyof typeof FUNCTIONS>).map((key) => {
      const fn = FUNCTIONS[key];
      return [fn.name, BOUND[key]?.(deps, sweep) ?? ((payload: unknown) => invokeFunction(fn, payload))];
    }),
  );
}
