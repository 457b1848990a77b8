/**
 * Every Lambda handler in functions/ is made here: Powertools Logger with the Lambda context (request id, cold start)
 * through its middy middleware, optionally Metrics flushed as EMF after each invocation, the function's dependencies
 * made once per process with its SDK options (the sweep's attempts), and any middlewares on top (the API's).
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { SdkOptions } from './aws.ts';

export const METRICS_NAMESPACE = 'MpuReaper';

export interface HandlerOptions<Event, Result, Deps> {
  /** Powertools' serviceName of the logs and metrics */
  service: string;
  /** publish EMF metrics (flushed by logMetrics after each invocation) */
  metrics?: boolean;
  /** SDK attempts of the function's clients; the SDK's default 3 when absent */
  sdkAttempts?: number;
  /** the function's clients and settings, made once when the module loads */
  deps?: (sdk: SdkOptions) => Deps;
  /** middlewares after the logger's (the API's request logs, errors, body) */
  middlewares?: (logger: Logger) => Array<MiddlewareObj<Event, Result, Error, Context>>;
}

export interface HandlerTools<Deps> {
  deps: Deps;
  logger: Logger;
  metrics: Metrics;
}

export function lambdaHandler<Event, Result, Deps = undefined>(
  options: HandlerOptions<Event, Result, Deps>,
  run: (event: Event, tools: HandlerTools<Deps>) => Promise<Result>,
) {
  const logger = new Logger({ serviceName: options.service });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: options.service });
  const deps = options.deps?.(options.sdkAttempts === undefined ? {} : { maxAttempts: options.sdkAttempts }) as Deps;
  const handler = middy<Event, Result>().use(injectLambdaContext(logger));
  if (options.metrics) handler.use(logMetrics(metrics));
  for (const middleware of options.middlewares?.(logger) ?? []) handler.use(middleware);
  return handler.handler((event) => run(event, { deps, logger, metrics }));
}
