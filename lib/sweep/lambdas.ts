/**
 * The sweep's Lambda functions by name, with their clients injected: what functions/*.ts run on Lambda, for the local
 * runtime's lambdaHandlers (tests inject their own clients, as test/support/workflow.ts does for abort-upload).
 */
import { FUNCTIONS } from '../settings.ts';
import { finishSweep, type FinishEvent } from './finish.ts';
import { listPage, type ListEvent } from './list.ts';
import { walkLanes, type LanesEvent } from './lanes.ts';
import type { SweepDeps } from './requests.ts';
import type { PlanSweepEvent } from './plan.ts';
import { planWithoutOverlap } from './overlap.ts';
import { sweepRecordStep, type SweepRecordEvent } from './record.ts';

export function sweepLambdaHandlers(deps: SweepDeps): Record<string, (payload: unknown) => Promise<unknown>> {
  return {
    [FUNCTIONS.planSweep.name]: (payload) => planWithoutOverlap(deps, payload as PlanSweepEvent),
    [FUNCTIONS.sweepLanes.name]: (payload) => walkLanes(deps, payload as LanesEvent),
    [FUNCTIONS.sweepList.name]: (payload) => listPage(deps, payload as ListEvent),
    [FUNCTIONS.sweepRecord.name]: (payload) => sweepRecordStep(deps, payload as SweepRecordEvent),
    [FUNCTIONS.sweepFinish.name]: (payload) => finishSweep(deps, payload as FinishEvent),
  };
}
