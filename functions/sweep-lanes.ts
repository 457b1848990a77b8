/** sweep-uploads' "Walk the target's listing": the target's lanes, cut at key boundaries (lib/sweep/lanes.ts). */
import { sweepStepHandler } from '../lib/sweep/handler.ts';
import { walkLanes } from '../lib/sweep/lanes.ts';

export const handler = sweepStepHandler(walkLanes, 'target split into lanes', (event, result) => ({
  sweepId: event.sweep.id,
  bucket: event.target.bucket,
  target: event.target.index,
  lanes: result.lanes.length,
  walked: result.walked,
  calls: result.calls,
  unsplit: result.unsplit,
}));
