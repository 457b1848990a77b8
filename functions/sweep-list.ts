/** sweep-page's "List a page": the next page of a target's uploads (lib/sweep/list.ts). */
import { lambdaHandler } from '../lib/handler.ts';
import { SWEEP_FUNCTION } from '../lib/sweep/clients.ts';
import { listPage, type ListEvent } from '../lib/sweep/list.ts';

export const handler = lambdaHandler(SWEEP_FUNCTION, async (event: ListEvent, { deps, logger }) => {
  const result = await listPage(deps, event);
  const { page, state, next } = result;
  const { listed, busy, last } = page;
  logger.info('page listed', {
    sweepId: state.sweep.id,
    bucket: state.target.bucket,
    next,
    listed,
    uploads: page.uploads.length,
    decided: page.decided.length,
    busy,
    last,
    error: page.error?.error,
  });
  return result;
});
