/** sweep-uploads' "Finish sweep": status and counters from the targets' checkpoints (lib/sweep/finish.ts). */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { sweepDeps } from '../lib/sweep/clients.ts';
import { finishSweep, type FinishEvent, type SweepSummary } from '../lib/sweep/finish.ts';

const logger = new Logger({ serviceName: 'sweep' });
const deps = sweepDeps();

export const handler = middy<FinishEvent, SweepSummary>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const summary = await finishSweep(deps, event);
    logger.info('sweep finished', { sweepId: event.sweep.id, ...summary });
    return summary;
  });
