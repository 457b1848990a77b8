/** sweep-uploads' "Walk the target's listing": the target's lanes, cut at key boundaries (lib/sweep/lanes.ts). */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { sweepDeps } from '../lib/sweep/clients.ts';
import { walkLanes, type LanesEvent, type LanesResult } from '../lib/sweep/lanes.ts';

const logger = new Logger({ serviceName: 'sweep' });
const deps = sweepDeps();

export const handler = middy<LanesEvent, LanesResult>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const result = await walkLanes(deps, event);
    logger.info('target split into lanes', {
      sweepId: event.sweep.id,
      bucket: event.target.bucket,
      target: event.target.index,
      lanes: result.lanes.length,
      walked: result.walked,
      calls: result.calls,
      unsplit: result.unsplit,
    });
    return result;
  });
