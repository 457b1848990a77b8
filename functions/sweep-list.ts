/** sweep-page's "List a page": the next page of a target's uploads (lib/sweep/list.ts). */
import { sweepStepHandler } from '../lib/sweep/handler.ts';
import { listPage } from '../lib/sweep/list.ts';

export const handler = sweepStepHandler(listPage, 'page listed', (_event, { page, state, next }) => ({
  sweepId: state.sweep.id,
  bucket: state.target.bucket,
  next,
  listed: page.listed,
  uploads: page.uploads.length,
  decided: page.decided.length,
  busy: page.busy,
  last: page.last,
  error: page.error?.error,
}));
