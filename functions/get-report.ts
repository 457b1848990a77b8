/** GET /report?since=&bucket= — uploads aborted, bytes freed and monthly cost avoided, by bucket, class and day. */
import { readDepsFromEnv } from '../lib/api/deps.ts';
import { apiHandler } from '../lib/http/handler.ts';
import { getReport } from '../lib/report/report.ts';

const deps = readDepsFromEnv();

export const handler = apiHandler('get-report', (event) => getReport(deps, event.queryStringParameters));
