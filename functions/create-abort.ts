/** POST /aborts — start the abort-until-empty workflow for one upload. */
import { requestAbort } from '../lib/api/aborts.ts';
import { apiDepsFromEnv } from '../lib/api/deps.ts';
import { apiHandler } from '../lib/http/handler.ts';

const deps = apiDepsFromEnv();

export const handler = apiHandler('create-abort', (event) => requestAbort(deps, event.parsedBody), { jsonBody: { maxBytes: 16 * 1024 } });
