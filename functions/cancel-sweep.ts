/** DELETE /sweeps/{id} — cancel a running sweep. */
import { requestSweepCancel } from '../lib/api/sweeps.ts';
import { readDepsFromEnv } from '../lib/api/deps.ts';
import { sfnClient } from '../lib/aws.ts';
import { apiHandler } from '../lib/http/handler.ts';

const deps = { ...readDepsFromEnv(), sfn: sfnClient() };

export const handler = apiHandler('cancel-sweep', (event) => requestSweepCancel(deps, event.pathParameters?.id));
