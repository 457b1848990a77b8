/** sweep-uploads' "Walk the target's listing": the target's lanes, cut at key boundaries (lib/sweep/lanes.ts). */
import { lambdaHandler } from '../lib/handler.ts';
import { SWEEP_FUNCTION } from '../lib/sweep/clients.ts';
import { walkLanes, type LanesEvent } from '../lib/sweep/lanes.ts';

export const handler = lambdaHandler(SWEEP_FUNCTION, async (event: LanesEvent, { deps, logger }) => {
  const result = await walkLanes(deps, event);
  const { walked, calls, unsplit } = result;
  logger.info('target split into lanes', {
    sweepId: event.sweep.id,
    bucket: event.target.bucket,
    target: event.target.index,
    lanes: result.lanes.length,
    walked,
    calls,
    unsplit,
  });
  return result;
});
