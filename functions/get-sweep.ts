/** GET /sweeps/{id} — a sweep's summary. */
import { readSweep } from '../lib/api/sweeps.ts';
import { readDepsFromEnv } from '../lib/api/deps.ts';
import { apiHandler } from '../lib/http/handler.ts';

const deps = readDepsFromEnv();

export const handler = apiHandler('get-sweep', (event) => readSweep(deps, event.pathParameters?.id));
