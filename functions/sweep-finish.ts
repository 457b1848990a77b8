/** sweep-uploads' "Finish sweep": status and counters from the targets' checkpoints (lib/sweep/finish.ts). */
import { finishSweep } from '../lib/sweep/finish.ts';
import { sweepStepHandler } from '../lib/sweep/handler.ts';

export const handler = sweepStepHandler(finishSweep, 'sweep finished', (event, summary) => ({ sweepId: event.sweep.id, ...summary }));
