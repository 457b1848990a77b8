/**
 * A dry run's plan: the exact uploads it would abort, stored as one item of the records table per recorded page
 * (`plan#<sweepId>#<target>#<lane>#<n>`), the page's uploads as one compact JSON string. One write per page, not per
 * upload: a 1,000,000-upload plan is ~1,000 items of at most ~200 KB (a page's state is capped by SweepPageBytes,
 * 192 KiB, below DynamoDB's 400 KB per item). A lane numbers its plan pages 0, 1, 2 … and keeps the count in its
 * checkpoint (`planPages`): a page execution that failed after writing page n and before its checkpoint is listed
 * again from the checkpoint and writes page n again (a PutItem that replaces it), so the numbers have no gaps and
 * pages past the count are never read. Items expire with the dry run's record: after RecordRetentionSeconds or SweepPlanMaxAge, the longer.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { PageItem } from './page.ts';
import { batchGetAll, type SweepDeps } from './requests.ts';
import { checkpointId, type TargetState } from './state.ts';

/** a planned upload as stored: key, upload id, initiated, storage class, parts, bytes, newest part's LastModified */
export type PlannedUpload = Required<Pick<PageItem, 'k' | 'u' | 'p' | 'b'>> & Pick<PageItem, 'i' | 'c' | 't'>;

export interface PlanPage {
  id: string;
  planOf: string;
  bucket: string;
  targetIndex: number;
  lane: number;
  page: number;
  /** when the page was listed and measured: the plan's time for these uploads */
  measuredAt: string;
  uploads: PlannedUpload[];
}

export const planPageId = (sweepId: string, target: number, lane: number, page: number) => `plan#${sweepId}#${target}#${lane}#${page}`;

/**
 * Writes a dry-run page's planned uploads as the lane's next plan page; returns the lane's plan page count after it.
 * Nothing is written for a page without planned uploads.
 */
export async function writePlanPage(deps: SweepDeps, state: TargetState, measuredAt: string, uploads: PageItem[]): Promise<number> {
  const n = state.planPages ?? 0;
  if (uploads.length === 0) return n;
  const lane = state.lane?.lane ?? 0;
  const { retentionSeconds, planMaxAgeSeconds } = state.sweep.settings;
  const planned: PlannedUpload[] = uploads.map(({ k, u, p, b, i, c, t }) => ({
    k,
    u,
    p: p ?? 0,
    b: b ?? 0,
    ...(i ? { i } : {}),
    ...(c ? { c } : {}),
    ...(t ? { t } : {}),
  }));
  await deps.doc.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: {
        id: planPageId(state.sweep.id, state.target.index, lane, n),
        planOf: state.sweep.id,
        bucket: state.target.bucket,
        targetIndex: state.target.index,
        lane,
        page: n,
        measuredAt,
        count: planned.length,
        uploads: JSON.stringify(planned),
        expiresAt: Math.floor(Date.parse(state.sweep.startedAt) / 1000) + Math.max(retentionSeconds, planMaxAgeSeconds ?? 0),
      },
    }),
  );
  return n + 1;
}

/** a plan page, read consistently; undefined when the item is missing */
export async function readPlanPage(deps: Pick<SweepDeps, 'doc' | 'tableName'>, id: string): Promise<PlanPage | undefined> {
  const { Item } = await deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: { id }, ConsistentRead: true }));
  if (!Item) return undefined;
  return { ...(Item as Omit<PlanPage, 'uploads'>), uploads: JSON.parse(String(Item.uploads)) as PlannedUpload[] };
}

/** a lane of a finished dry run and the plan pages it wrote */
export interface PlanLane {
  target: number;
  lane: number;
  pages: number;
}

/**
 * Every lane of a finished dry run, in target and lane order, with its plan page count (from the lane's checkpoint;
 * a lane without one wrote no page). The lanes per target are the sweep record's targetResults[i].lanes.
 */
export async function planLanes(deps: Pick<SweepDeps, 'doc' | 'tableName'>, sweep: { id: string; targetResults?: unknown }): Promise<PlanLane[]> {
  const results = (typeof sweep.targetResults === 'string' ? JSON.parse(sweep.targetResults) : sweep.targetResults) as Array<{ lanes?: number }> | undefined;
  const lanes = (results ?? []).flatMap((result, target) => Array.from({ length: result.lanes ?? 1 }, (_, lane) => ({ target, lane, pages: 0 })));
  const saved = await batchGetAll(
    deps,
    lanes.map((l) => checkpointId(sweep.id, l.target, l.lane)),
    { attributes: ['id', 'planPages'], consistent: true },
  );
  const pages = new Map(saved.map((item) => [String(item.id), Number(item.planPages ?? 0)]));
  return lanes.map((l) => ({ ...l, pages: pages.get(checkpointId(sweep.id, l.target, l.lane)) ?? 0 }));
}
