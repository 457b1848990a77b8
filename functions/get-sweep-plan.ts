/** GET /sweeps/{id}/plan — a dry run's plan: the uploads it would abort, paged. */
import { getPlan } from '../lib/api/plans.ts';
import { planDepsFromEnv } from '../lib/api/deps.ts';
import { apiHandler } from '../lib/http/handler.ts';

const deps = planDepsFromEnv();

export const handler = apiHandler('get-sweep-plan', (event) => getPlan(deps, event.pathParameters?.id, event.queryStringParameters));
