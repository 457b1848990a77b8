/** The sweep's writer: a page's records, the hand-overs' counts, a resumed target (lib/sweep/record.ts); EMF metrics. */
import { lambdaHandler } from '../lib/handler.ts';
import { publishOutcomes, sweepStepCounts } from '../lib/metrics.ts';
import { SWEEP_FUNCTION } from '../lib/sweep/clients.ts';
import { sweepRecordStep, type SweepRecordEvent } from '../lib/sweep/record.ts';

export const handler = lambdaHandler({ ...SWEEP_FUNCTION, metrics: true }, async (event: SweepRecordEvent, { deps, logger, metrics }) => {
  const result = await sweepRecordStep(deps, event);
  const { sweep, target, seq, totals } = result.state;
  const { delta, byStatus } = sweepStepCounts('totals' in event.state ? event.state.totals : undefined, totals);
  publishOutcomes(metrics, byStatus, delta.bytesFreed > 0 ? { bucket: target.bucket, bytes: delta.bytesFreed } : undefined);
  logger.info('sweep step recorded', { action: event.action, sweepId: sweep.id, bucket: target.bucket, seq, next: result.next, ...delta });
  return result;
});
