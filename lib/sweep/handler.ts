/**
 * A sweep step as a Lambda handler: its clients made once per process (sweepDeps), Powertools Logger through its
 * middy middleware, and one log line saying what the step did. functions/sweep-{list,lanes,finish}.ts are one call each.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { sweepDeps } from './clients.ts';
import type { SweepDeps } from './requests.ts';

export function sweepStepHandler<Event, Result>(
  step: (deps: SweepDeps, event: Event) => Promise<Result>,
  message: string,
  logged: (event: Event, result: Result) => Record<string, unknown>,
) {
  const logger = new Logger({ serviceName: 'sweep' });
  const deps = sweepDeps();
  return middy<Event, Result>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const result = await step(deps, event);
      logger.info(message, logged(event, result));
      return result;
    });
}
