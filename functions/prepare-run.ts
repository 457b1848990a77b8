/** abort-upload's first state: validate, check the allowlist, claim the record, measure the upload (lib/abort-run.ts). */
import { parseAllowlist } from '../lib/allowlist.ts';
import { documentClient, s3Client } from '../lib/aws.ts';
import { prepareRun, type PrepareRunEvent } from '../lib/abort-run.ts';
import { requiredEnv } from '../lib/env.ts';
import { lambdaHandler } from '../lib/handler.ts';

const deps = () => ({
  doc: documentClient(),
  s3: s3Client(),
  tableName: requiredEnv('RECORDS_TABLE'),
  allowlist: parseAllowlist(requiredEnv('ALLOWED_BUCKETS')),
});

export const handler = lambdaHandler({ service: 'abort-upload', deps }, async (event: PrepareRunEvent, { deps, logger }) => {
  const prepared = await prepareRun(deps, event);
  const { run, next, measure } = prepared;
  logger.info('run prepared', { executionArn: event.executionArn, id: run.id, next, parts: measure.parts, bytes: measure.bytes });
  return prepared;
});
