/** Invoked by the sweep state machine once per sweep: validates the request, computes each target's cutoff and owner, refuses an overlap. */
import { documentClient } from '../lib/aws.ts';
import { requiredEnv } from '../lib/env.ts';
import { lambdaHandler } from '../lib/handler.ts';
import { planWithoutOverlap } from '../lib/sweep/overlap.ts';
import type { PlanSweepEvent } from '../lib/sweep/plan.ts';

const deps = () => ({ doc: documentClient(), tableName: requiredEnv('RECORDS_TABLE') });

export const handler = lambdaHandler({ service: 'sweep', deps }, (event: PlanSweepEvent, { deps }) => planWithoutOverlap(deps, event));
