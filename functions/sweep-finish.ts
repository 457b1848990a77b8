/** sweep-uploads' "Finish sweep": status and counters from the targets' checkpoints (lib/sweep/finish.ts). */
import { lambdaHandler } from '../lib/handler.ts';
import { SWEEP_FUNCTION } from '../lib/sweep/clients.ts';
import { finishSweep, type FinishEvent } from '../lib/sweep/finish.ts';

export const handler = lambdaHandler(SWEEP_FUNCTION, async (event: FinishEvent, { deps, logger }) => {
  const summary = await finishSweep(deps, event);
  logger.info('sweep finished', { sweepId: event.sweep.id, ...summary });
  return summary;
});
