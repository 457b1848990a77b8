/** GET /aborts/{id} — one upload's record. */
import { readAbort } from '../lib/api/aborts.ts';
import { readDepsFromEnv } from '../lib/api/deps.ts';
import { apiHandler } from '../lib/http/handler.ts';

const deps = readDepsFromEnv();

export const handler = apiHandler('get-abort', (event) => readAbort(deps, event.pathParameters?.id));
