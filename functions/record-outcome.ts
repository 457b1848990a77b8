/** abort-upload's last state: decide the outcome and write it (lib/abort-run.ts); EMF metrics per status and bucket. */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { documentClient } from '../lib/aws.ts';
import { recordOutcome, type LoopState, type RecordedOutcome } from '../lib/abort-run.ts';
import { requiredEnv } from '../lib/env.ts';

const logger = new Logger({ serviceName: 'abort-upload' });
const metrics = new Metrics({ namespace: 'MpuReaper', serviceName: 'abort-upload' });
const deps = { doc: documentClient(), tableName: requiredEnv('RECORDS_TABLE') };

export const handler = middy<LoopState, RecordedOutcome>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (state) => {
    const outcome = await recordOutcome(deps, state);
    // Step Functions counts executions; what it cannot count is the outcome and the bytes freed per bucket
    const byStatus = metrics.singleMetric();
    byStatus.addDimension('Status', outcome.status);
    byStatus.addMetric('UploadOutcomes', MetricUnit.Count, 1);
    if (outcome.status === 'ABORTED') {
      const freed = metrics.singleMetric();
      freed.addDimension('Bucket', state.run.bucket);
      freed.addMetric('BytesFreed', MetricUnit.Bytes, outcome.bytesFound);
    }
    logger.info('outcome recorded', { executionArn: state.run.executionArn, ...outcome });
    return outcome;
  });
