/** POST /sweeps — start a sweep of stale incomplete uploads. */
import { requestSweep } from '../lib/api/sweeps.ts';
import { sweepApiDepsFromEnv } from '../lib/api/deps.ts';
import { apiHandler } from '../lib/http/handler.ts';

const deps = sweepApiDepsFromEnv();

export const handler = apiHandler('create-sweep', (event) => requestSweep(deps, event.parsedBody), { jsonBody: { maxBytes: 16 * 1024 } });
