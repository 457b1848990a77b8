/** abort-upload's first state: validate, check the allowlist, claim the record, measure the upload (lib/abort-run.ts). */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parseAllowlist } from '../lib/allowlist.ts';
import { documentClient, s3Client } from '../lib/aws.ts';
import { prepareRun, type PrepareRunEvent, type PreparedRun } from '../lib/abort-run.ts';
import { requiredEnv } from '../lib/env.ts';

const logger = new Logger({ serviceName: 'abort-upload' });
const deps = { doc: documentClient(), s3: s3Client(), tableName: requiredEnv('RECORDS_TABLE'), allowlist: parseAllowlist(requiredEnv('ALLOWED_BUCKETS')) };

export const handler = middy<PrepareRunEvent, PreparedRun>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const prepared = await prepareRun(deps, event);
    logger.info('run prepared', {
      executionArn: event.executionArn,
      id: prepared.run.id,
      next: prepared.next,
      parts: prepared.measure.parts,
      bytes: prepared.measure.bytes,
    });
    return prepared;
  });
