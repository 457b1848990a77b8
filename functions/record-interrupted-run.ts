/** EventBridge "Step Functions Execution Status Change" (ABORTED, TIMED_OUT, FAILED) → the run's record ends (lib/interrupted-runs.ts). */
import type { EventBridgeEvent } from 'aws-lambda';
import { documentClient, s3Client, sfnClient } from '../lib/aws.ts';
import { recordRetentionFromEnv, requiredEnv } from '../lib/env.ts';
import { lambdaHandler } from '../lib/handler.ts';
import { recordInterruptedRun, type ExecutionStatusChange } from '../lib/interrupted-runs.ts';

const deps = () => ({
  doc: documentClient(),
  tableName: requiredEnv('RECORDS_TABLE'),
  retentionSeconds: recordRetentionFromEnv(),
  // a stopped or cancelled sweep's own executions are stopped with it
  sfn: sfnClient(),
  machines: { sweepTarget: requiredEnv('SWEEP_TARGET_STATE_MACHINE_ARN'), abortUpload: requiredEnv('ABORT_STATE_MACHINE_ARN') },
  // and the intents of its lanes' last pages reconciled (lib/sweep/intent.ts)
  s3: s3Client(),
  intentsBucket: requiredEnv('SWEEP_INTENTS_BUCKET'),
});

type StatusChange = EventBridgeEvent<'Step Functions Execution Status Change', ExecutionStatusChange>;

export const handler = lambdaHandler({ service: 'record-interrupted-run', deps }, async (event: StatusChange, { deps, logger }) => {
  const outcome = await recordInterruptedRun(deps, event.detail);
  logger.info('interrupted run', { executionArn: event.detail.executionArn, status: event.detail.status, outcome });
});
