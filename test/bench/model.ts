/**
 * AWS figures from the bench's measured counts: $ per million swept uploads per design (lib/sweep/cost.ts, us-east-1
 * list prices) and the time 1,000,000 uploads take on AWS, from the quotas in shared/aws-behaviour.md.
 */
import { costPerMillion, OLD_DESIGN, type Cost, type DesignCounts } from '../../lib/sweep/cost.ts';
import { SWEEP_SETTINGS_DEFAULTS } from '../../lib/settings.ts';
import type { MeasuredDesign } from '../support/sweep-design.ts';
import type { CleanAbort } from './abort-path.ts';

/** quotas that bound a sweep (large regions, defaults): shared/aws-behaviour.md */
export const QUOTAS = {
  startExecutionPerSecond: 300, standardTransitionsPerSecond: 5000, s3DeletePerPrefixPerSecond: 3500, s3GetPerPrefixPerSecond: 5500,
  /** 'Sweep each target' in sweep-uploads runs 4 targets at a time; a page's Maps 40 requests */
  targetsAtOnce: 4, mapConcurrency: 40,
} as const;

/** one abort-upload run as a design: its measured transitions and LIST requests, its records' writes (3 WRU each) */
export function abortUploadDesign(clean: CleanAbort): DesignCounts {
  const r = clean.requests;
  const writes = (r['dynamodb:PutItem'] ?? 0) + (r['dynamodb:UpdateItem'] ?? 0);
  return {
    name: 'abort-upload (per-upload Standard path)', uploadsPerPage: 1,
    perUpload: { standardTransitions: clean.stateTransitions, s3ListRequests: r['s3:ListParts'] ?? 0, dynamoWriteUnits: writes * 3, lambdaRequests: 2 },
    perPage: {},
  };
}

export function costTable(lean: MeasuredDesign, measured: MeasuredDesign, clean: CleanAbort): Cost[] {
  return [
    costPerMillion(OLD_DESIGN),
    { ...costPerMillion(lean), name: 'new sweep, verified and recorded' },
    { ...costPerMillion(measured), name: 'new sweep, measured (parts, bytes)' },
    costPerMillion(abortUploadDesign(clean)),
  ];
}

export interface TimeModel { lines: string[]; oneTargetMinutes: number; fourTargetsMinutes: number; quotaFloorMinutes: number; targetsFor15Minutes: number }

/**
 * 1,000,000 uploads on AWS with this design: a target's pages run one after another (list → abort → wait → verify →
 * record), targets 4 at a time; the quotas give the floor no design of one prefix can pass.
 */
export function timeModel(design: MeasuredDesign, clean: CleanAbort, uploads = 1_000_000): TimeModel {
  const pages = Math.ceil(uploads / design.uploadsPerPage);
  const page = design.seconds.express;
  const oneTarget = pages * page;
  const perUpload = (n: number | undefined) => n ?? 0;
  const listParts = perUpload(design.perUpload.s3ListRequests);
  const transitions = perUpload(design.perPage.standardTransitions) / design.uploadsPerPage;
  const executions = perUpload(design.perPage.expressRequests) / design.uploadsPerPage;
  const floor = {
    deletes: uploads / QUOTAS.s3DeletePerPrefixPerSecond,
    gets: (uploads * listParts) / QUOTAS.s3GetPerPrefixPerSecond,
    transitions: (uploads * transitions) / QUOTAS.standardTransitionsPerSecond,
    starts: (uploads * executions) / QUOTAS.startExecutionPerSecond,
  };
  const quotaFloor = Math.max(...Object.values(floor));
  const rate = (design.uploadsPerPage * (1 + listParts)) / page;
  const m = (s: number) => (s / 60).toFixed(1);
  const wait = SWEEP_SETTINGS_DEFAULTS.SweepWaitSeconds;
  const M = uploads.toLocaleString('en-US');
  const targetsFor15 = Math.ceil(oneTarget / (15 * 60));
  const lines = [
    `page on AWS: ${design.uploadsPerPage} uploads (the 192 KiB byte budget, typical keys), ${page.toFixed(2)} s = ${wait} s wait`
      + ` + ${(page - wait).toFixed(2)} s of requests (Maps of ${QUOTAS.mapConcurrency} at 30 ms, Lambdas: cost.ts pageSeconds)`,
    `one target: ${M} / ${design.uploadsPerPage} = ${pages} pages × ${page.toFixed(2)} s = ${Math.round(oneTarget)} s`
      + ` = **${m(oneTarget)} min** (pages of a target run one after another)`,
    `${QUOTAS.targetsAtOnce} targets at once (prefixes; 'Sweep each target' MaxConcurrency ${QUOTAS.targetsAtOnce}):`
      + ` ${m(oneTarget / QUOTAS.targetsAtOnce)} min`,
    `quota floor for one prefix: DELETE ${M} / ${QUOTAS.s3DeletePerPrefixPerSecond}/s = ${m(floor.deletes)} min;`
      + ` ListParts ${listParts.toFixed(2)}/upload / ${QUOTAS.s3GetPerPrefixPerSecond}/s = ${m(floor.gets)} min;`
      + ` Standard transitions ${(transitions * uploads).toFixed(0)} / ${QUOTAS.standardTransitionsPerSecond}/s = ${m(floor.transitions)} min;`
      + ` StartExecution ${(executions * uploads).toFixed(0)} / ${QUOTAS.startExecutionPerSecond}/s = ${m(floor.starts)} min`
      + ` → floor **${m(quotaFloor)} min**`,
    `one target sends ${rate.toFixed(0)} S3 requests/s (${(rate / QUOTAS.s3GetPerPrefixPerSecond * 100).toFixed(0)}% of one prefix's GET rate):`
      + ` the sequential pages (the ${wait} s wait each), not a quota, bound a sweep`,
    `≤ 15 minutes needs ${targetsFor15} targets sweeping at once (${m(oneTarget / targetsFor15)} min),`
      + ` more than the ${QUOTAS.targetsAtOnce} the Map runs`,
    `per-upload Standard path for comparison: ${clean.stateTransitions} transitions per upload; ${M} × ${clean.stateTransitions}`
      + ` / ${QUOTAS.standardTransitionsPerSecond}/s = ${m((uploads * clean.stateTransitions) / QUOTAS.standardTransitionsPerSecond)} min`
      + ` and StartExecution ${M} / ${QUOTAS.startExecutionPerSecond}/s = ${m(uploads / QUOTAS.startExecutionPerSecond)} min`,
  ];
  return {
    lines, oneTargetMinutes: oneTarget / 60, fourTargetsMinutes: oneTarget / QUOTAS.targetsAtOnce / 60, quotaFloorMinutes: quotaFloor / 60,
    targetsFor15Minutes: targetsFor15,
  };
}
