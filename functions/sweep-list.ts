/** sweep-page's "List a page": the next page of a target's uploads (lib/sweep/list.ts). */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { sweepDeps } from '../lib/sweep/clients.ts';
import { listPage, type ListEvent, type ListResult } from '../lib/sweep/list.ts';

const logger = new Logger({ serviceName: 'sweep' });
const deps = sweepDeps();

export const handler = middy<ListEvent, ListResult>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const result = await listPage(deps, event);
    const { page, state } = result;
    logger.info('page listed', {
      sweepId: state.sweep.id,
      bucket: state.target.bucket,
      next: result.next,
      listed: page.listed,
      uploads: page.uploads.length,
      decided: page.decided.length,
      busy: page.busy,
      last: page.last,
      error: page.error?.error,
    });
    return result;
  });
