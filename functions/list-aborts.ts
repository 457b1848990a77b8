/** GET /aborts?status=&bucket=&limit=&cursor= — records, newest first. */
import { listAborts } from '../lib/api/aborts.ts';
import { readDepsFromEnv } from '../lib/api/deps.ts';
import { apiHandler } from '../lib/http/handler.ts';

const deps = readDepsFromEnv();

export const handler = apiHandler('list-aborts', (event) => listAborts(deps, event.queryStringParameters));
