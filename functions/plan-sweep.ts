/** Invoked by the sweep state machine once per sweep: validates the request, computes each target's cutoff and owner, refuses an overlap. */
import middy from '@middy/core';
import { documentClient } from '../lib/aws.ts';
import { requiredEnv } from '../lib/env.ts';
import { planWithoutOverlap } from '../lib/sweep/overlap.ts';
import type { PlanSweepEvent, SweepRunPlan } from '../lib/sweep/plan.ts';

const deps = { doc: documentClient(), tableName: requiredEnv('RECORDS_TABLE') };

export const handler = middy<PlanSweepEvent, SweepRunPlan>().handler(async (event) => planWithoutOverlap(deps, event));
