/** The sweep's writer: a page's records, the hand-overs' counts, a resumed target (lib/sweep/record.ts); EMF metrics. */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { sweepDeps } from '../lib/sweep/clients.ts';
import { sweepRecordStep, type StepResult, type SweepRecordEvent } from '../lib/sweep/record.ts';
import { STATUS_COUNTER, TOTAL_NAMES } from '../lib/sweep/state.ts';

const logger = new Logger({ serviceName: 'sweep' });
const metrics = new Metrics({ namespace: 'MpuReaper', serviceName: 'sweep' });
const deps = sweepDeps();

export const handler = middy<SweepRecordEvent, StepResult>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const before = 'totals' in event.state ? event.state.totals : undefined;
    const result = await sweepRecordStep(deps, event);
    const after = result.state.totals;
    const delta = Object.fromEntries(TOTAL_NAMES.map((name) => [name, after[name] - (before?.[name] ?? 0)]));
    // what Step Functions cannot count: outcomes by status and bytes freed per bucket
    for (const [status, counter] of Object.entries(STATUS_COUNTER)) {
      if (delta[counter!] > 0) {
        const byStatus = metrics.singleMetric();
        byStatus.addDimension('Status', status);
        byStatus.addMetric('UploadOutcomes', MetricUnit.Count, delta[counter!]);
      }
    }
    if (delta.bytesFreed > 0) {
      const freed = metrics.singleMetric();
      freed.addDimension('Bucket', result.state.target.bucket);
      freed.addMetric('BytesFreed', MetricUnit.Bytes, delta.bytesFreed);
    }
    const { sweep, target, seq } = result.state;
    logger.info('sweep step recorded', { action: event.action, sweepId: sweep.id, bucket: target.bucket, seq, next: result.next, ...delta });
    return result;
  });
