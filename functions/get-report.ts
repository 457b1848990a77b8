/** GET /report?since=&bucket= — uploads aborted, bytes freed and monthly cost avoided, by bucket, class and day. */
import { readDepsFromEnv } from '../lib/api/deps.ts';
import { recordRetentionFromEnv } from '../lib/env.ts';
import { apiHandler } from '../lib/http/handler.ts';
import { getReport } from '../lib/report/report.ts';

// the months past the records' retention are read from the ledger
const deps = { ...readDepsFromEnv(), retentionSeconds: recordRetentionFromEnv() };

export const handler = apiHandler('get-report', (event) => getReport(deps, event.queryStringParameters));
