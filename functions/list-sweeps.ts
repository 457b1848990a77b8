/** GET /sweeps?status=&limit=&cursor= — sweeps, newest first. */
import { listSweeps } from '../lib/api/sweeps.ts';
import { readDepsFromEnv } from '../lib/api/deps.ts';
import { apiHandler } from '../lib/http/handler.ts';

const deps = readDepsFromEnv();

export const handler = apiHandler('list-sweeps', (event) => listSweeps(deps, event.queryStringParameters));
