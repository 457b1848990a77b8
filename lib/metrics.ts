/**
 * What Step Functions cannot count, as EMF metrics: upload outcomes by status and bytes freed per bucket. One helper
 * for both writers of outcomes (abort-upload's record-outcome and the sweep's record step).
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { STATUS_COUNTER, TOTAL_NAMES, type Totals } from './sweep/state.ts';

type TotalName = (typeof TOTAL_NAMES)[number];

/** UploadOutcomes per status (counts above 0) and, when given, BytesFreed of one bucket */
export function publishOutcomes(metrics: Metrics, byStatus: Record<string, number>, freed?: { bucket: string; bytes: number }): void {
  for (const [status, count] of Object.entries(byStatus)) {
    if (count <= 0) continue;
    const outcomes = metrics.singleMetric();
    outcomes.addDimension('Status', status);
    outcomes.addMetric('UploadOutcomes', MetricUnit.Count, count);
  }
  if (!freed) return;
  const bytes = metrics.singleMetric();
  bytes.addDimension('Bucket', freed.bucket);
  bytes.addMetric('BytesFreed', MetricUnit.Bytes, freed.bytes);
}

/** what one sweep step added to the totals, and the outcomes by status among it */
export function sweepStepCounts(before: Totals | undefined, after: Totals): { delta: Record<TotalName, number>; byStatus: Record<string, number> } {
  const delta = Object.fromEntries(TOTAL_NAMES.map((name) => [name, after[name] - (before?.[name] ?? 0)])) as Record<TotalName, number>;
  const byStatus = Object.fromEntries(Object.entries(STATUS_COUNTER).map(([status, counter]) => [status, delta[counter!]]));
  return { delta, byStatus };
}
