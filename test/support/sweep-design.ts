/**
 * A sweep's measured counts turned into the cost model's design (test/bench/cost.ts): per upload and per page, for the
 * page size a typical upload gets on AWS, with the walk that cuts lanes (WALK_PER_UPLOAD: a LIST per 1,000 uploads).
 * What is counted once per sweep (plan, sweep record, a walk's invocation, finish) is left out: cents per sweep. Used by the sweep integration test and by `npm run bench`.
 */
import type { HistoryEvent } from '../../emulator/execution.ts';
import { SWEEP_SETTINGS_DEFAULTS } from '../../lib/settings.ts';
import { TYPICAL_UPLOAD, uploadsPerPage, WALK_PER_UPLOAD, type DesignCounts, type Usage } from '../bench/cost.ts';
import { pageSeconds, type PageShape } from '../bench/time-model.ts';

/** What one sweep did, counted while it ran. */
export interface SweepMeasure {
  uploads: number;
  /** pages the sweep recorded (its summary's `pages`) */
  pages: number;
  measure: boolean;
  /** AWS requests: the Tasks' as `task:service:action`, the Lambdas' as `lambda:service:Command` */
  requests: Record<string, number>;
  /** the upload records' PutItems and their write units (table and indexes) */
  recordPuts: number;
  recordWriteUnits: number;
  /** write units of the targets' checkpoints */
  checkpointWriteUnits: number;
  /** write units of the ledger's markers and ADDs, one transaction per page that aborted something (lib/ledger.ts) */
  ledgerWriteUnits?: number;
  readUnits: number;
  /** Lambda invocations (plan, walks and finish included) */
  lambdaCalls: number;
  /** the walks ("Split targets into lanes"): their invocations and ListMultipartUploads calls (not a page's: priced per upload, WALK_PER_UPLOAD) */
  walks?: number;
  walkListCalls?: number;
  /** page executions (EXPRESS) and the Wait states they entered */
  pageExecutions: number;
  pageWaits: number;
  /** states the page executions entered */
  pageStates?: number;
  /** states entered by the sweep-target executions (STANDARD: billed transitions) */
  sweepTargetTransitions: number;
}

export interface MeasuredDesign extends DesignCounts {
  /** sweep-target transitions per page execution */
  perRun: number;
  /** seconds of one page on AWS (Express execution, Lambdas), from the counts and AWS latencies (cost.ts) */
  seconds: { express: number; lambda: number };
  /** pages one page execution runs on AWS before SweepRunSeconds */
  pagesPerRun: number;
  /** what a page does (the time model's input: cost.ts pageSeconds) */
  shape?: PageShape;
}

/** a page's shape from a sweep's counts: its Maps' Task requests and its Lambdas' pooled requests per upload, its waits */
export function pageShape(m: SweepMeasure): PageShape {
  const r = m.requests;
  const perUpload = (n: number) => n / m.uploads;
  return {
    waits: m.pageWaits / m.pages,
    statesPerUpload: (m.pageStates ?? 0) / m.uploads,
    mapPerUpload: [perUpload(r['task:s3:abortMultipartUpload'] ?? 0), perUpload(r['task:s3:listParts'] ?? 0)],
    lambdaCalls: 2,
    pooledS3PerUpload: perUpload(r['lambda:s3:ListParts'] ?? 0),
    pooledDynamodbPerUpload: perUpload(m.recordPuts),
  };
}

export function measuredDesign(name: string, m: SweepMeasure): MeasuredDesign {
  const r = m.requests;
  const perRun = m.sweepTargetTransitions / m.pageExecutions;
  const P = uploadsPerPage({ ...TYPICAL_UPLOAD, measure: m.measure });
  const perUpload = (n: number) => n / m.uploads;
  const [verifies, measures] = [r['task:s3:listParts'] ?? 0, r['lambda:s3:ListParts'] ?? 0];
  // the pages' own listing calls: the walks' are priced per upload (on moto a walk of a few hundred uploads is one call)
  const pageListCalls = (r['lambda:s3:ListMultipartUploads'] ?? 0) - (m.walkListCalls ?? 0);
  const shape = pageShape(m);
  const seconds = pageSeconds(shape, P);
  const pagesPerRun = Math.floor(SWEEP_SETTINGS_DEFAULTS.SweepRunSeconds / seconds.express) + 1;
  return {
    name,
    uploadsPerPage: P,
    perRun,
    seconds,
    pagesPerRun,
    shape,
    perUpload: {
      s3ListRequests: perUpload(verifies + measures) + WALK_PER_UPLOAD.s3ListRequests!,
      dynamoWriteUnits: perUpload(m.recordWriteUnits),
      lambdaGbSeconds: WALK_PER_UPLOAD.lambdaGbSeconds,
    },
    perPage: {
      // a page execution's transitions in sweep-target, shared by the pages it runs
      standardTransitions: perRun / pagesPerRun,
      expressRequests: 1 / pagesPerRun,
      expressGbSeconds: seconds.express * 0.0625,
      lambdaRequests: (m.lambdaCalls - 2 - (m.walks ?? 0)) / m.pages,
      lambdaGbSeconds: seconds.lambda * 0.25,
      // the page's listing calls, and its intent's PUT (lib/sweep/intent.ts: a PUT is priced as a LIST)
      s3ListRequests: (pageListCalls + (r['lambda:s3:PutObject'] ?? 0)) / m.pages,
      dynamoWriteUnits: m.checkpointWriteUnits / m.pages,
      dynamoLedgerWriteUnits: (m.ledgerWriteUnits ?? 0) / m.pages,
      dynamoReadUnits: m.readUnits / m.pages,
    } satisfies Partial<Usage>,
  };
}

/** a page execution's wait for in-flight parts (the time model's SweepWaitSeconds): not "Keep to the bucket's rate" */
export const isPartsWait = (event: HistoryEvent) =>
  (event.stateEnteredEventDetails as { name?: string } | undefined)?.name?.startsWith('Wait for in-flight parts') === true;
