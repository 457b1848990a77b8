/** EventBridge "Step Functions Execution Status Change" (ABORTED, TIMED_OUT) → the run's record becomes FAILED. */
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { documentClient } from '../lib/aws.ts';
import { recordRetentionFromEnv, requiredEnv } from '../lib/env.ts';
import { recordInterruptedRun, type ExecutionStatusChange } from '../lib/interrupted-runs.ts';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';

const logger = new Logger({ serviceName: 'record-interrupted-run' });
const deps = { doc: documentClient(), tableName: requiredEnv('RECORDS_TABLE'), retentionSeconds: recordRetentionFromEnv() };

export const handler = middy<EventBridgeEvent<'Step Functions Execution Status Change', ExecutionStatusChange>, void>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const outcome = await recordInterruptedRun(deps, event.detail);
    logger.info('interrupted run', { executionArn: event.detail.executionArn, status: event.detail.status, outcome });
  });
