/** abort-upload's last state: decide the outcome and write it (lib/abort-run.ts); EMF metrics per status and bucket. */
import { recordOutcome, type LoopState } from '../lib/abort-run.ts';
import { documentClient } from '../lib/aws.ts';
import { requiredEnv } from '../lib/env.ts';
import { lambdaHandler } from '../lib/handler.ts';
import { publishOutcomes } from '../lib/metrics.ts';

const deps = () => ({ doc: documentClient(), tableName: requiredEnv('RECORDS_TABLE') });

export const handler = lambdaHandler({ service: 'abort-upload', metrics: true, deps }, async (state: LoopState, { deps, logger, metrics }) => {
  const outcome = await recordOutcome(deps, state);
  const freed = outcome.status === 'ABORTED' ? { bucket: state.run.bucket, bytes: outcome.bytesFound } : undefined;
  publishOutcomes(metrics, { [outcome.status]: 1 }, freed);
  logger.info('outcome recorded', { executionArn: state.run.executionArn, ...outcome });
  return outcome;
});
