/** POST /sweeps/{id}/apply — start a sweep that aborts exactly a dry run's planned uploads (once). */
import { applyPlan } from '../lib/api/plans.ts';
import { applyDepsFromEnv } from '../lib/api/deps.ts';
import { apiHandler } from '../lib/http/handler.ts';

const deps = applyDepsFromEnv();

export const handler = apiHandler('apply-sweep-plan', (event) => applyPlan(deps, event.pathParameters?.id, 'api', event.body));
