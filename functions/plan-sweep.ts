/** Invoked by the sweep state machine once per sweep: validates the request and computes each target's cutoff. */
import middy from '@middy/core';
import { planSweep, type SweepPlan } from '../lib/sweep/plan.ts';

export interface PlanSweepEvent { request: unknown; startTime: string }

export const handler = middy<PlanSweepEvent, SweepPlan>().handler(async (event) => planSweep(event.request, new Date(event.startTime)));
