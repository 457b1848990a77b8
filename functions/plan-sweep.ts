/** Invoked by the sweep state machine once per sweep: validates the request, computes each target's cutoff and owner. */
import middy from '@middy/core';
import { planSweepRun, type PlanSweepEvent, type SweepRunPlan } from '../lib/sweep/plan.ts';

export const handler = middy<PlanSweepEvent, SweepRunPlan>().handler(async (event) => planSweepRun(event));
