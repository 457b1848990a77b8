/**
 * A sweep that applies a dry run's plan (`sweep.planId`): each of its lanes is one of the dry run's lanes, and its pages
 * are that lane's plan pages (lib/sweep/plan-pages.ts) instead of ListMultipartUploads, so it can abort nothing but
 * planned uploads: an upload created after the plan is never read. Each planned upload is measured again with ListParts
 * (lib/sweep/list.ts `measured`): gone → NOT_FOUND; parts, bytes or the newest part's LastModified changed since the
 * plan → SKIPPED_CHANGED, left alone; else aborted, verified and recorded by the same page machinery as every sweep.
 */
import type { measureUpload } from '../measure.ts';
import { planPageId, readPlanPage, type PlannedUpload } from './plan-pages.ts';
import type { SweepDeps } from './requests.ts';
import type { TargetState } from './state.ts';

type MeasureResult = Awaited<ReturnType<typeof measureUpload>>;

export interface PlanSlice {
  uploads: PlannedUpload[];
  /** the next plan page, and whether this was the lane's last */
  planPage: number;
  last: boolean;
  error?: { error: string; cause: string };
}

/** The lane's next plan page (its whole content: the dry run cut it to fit a page's state). */
export async function nextPlanPage(deps: SweepDeps, state: TargetState): Promise<PlanSlice> {
  const planId = state.sweep.planId!;
  const n = state.planPage ?? 0;
  const pages = state.lane?.planPages;
  if (pages === undefined) {
    // the lane did not come from the plan (its walk failed): listing the bucket instead could abort unplanned uploads
    const cause = `the lanes of plan ${planId} could not be read for target ${state.target.index}: nothing of this target was applied (apply is refused a second time; start a new dry run)`;
    return { uploads: [], planPage: n, last: true, error: { error: 'PlanLanesUnknown', cause } };
  }
  if (n >= pages) return { uploads: [], planPage: n, last: true };
  const id = planPageId(planId, state.target.index, state.lane?.lane ?? 0, n);
  const page = await readPlanPage(deps, id);
  if (!page) return { uploads: [], planPage: n, last: true, error: { error: 'PlanPageMissing', cause: `plan page ${id} is missing (expired?)` } };
  return { uploads: page.uploads, planPage: n + 1, last: n + 1 >= pages };
}

/** Why a planned upload is no longer the one planned, from a new measure; undefined when it is unchanged. */
export function planChange(planned: PlannedUpload, now: MeasureResult): string | undefined {
  const changes: string[] = [];
  if (now.parts !== planned.p) changes.push(`parts ${planned.p} → ${now.parts}`);
  if (now.bytes !== planned.b) changes.push(`bytes ${planned.b} → ${now.bytes}`);
  if (now.lastPartAt && (!planned.t || Date.parse(now.lastPartAt) > Date.parse(planned.t))) changes.push(`a part written ${now.lastPartAt}`);
  return changes.length > 0 ? `changed since the plan: ${changes.join(', ')}` : undefined;
}
