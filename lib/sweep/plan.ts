/**
 * A sweep request turned into a plan: validated targets, each with the cutoff (initiated before it = old enough),
 * computed from the sweep's start time. The sweep state machine asks for it once (Step Functions has no date
 * arithmetic in JSONPath); the API and the CLI validate with the same code before they start anything.
 */
import { ABORT_SETTINGS_DEFAULTS, SWEEP_SETTINGS_DEFAULTS } from '../settings.ts';
import { bucketProblem, prefixProblem, type Problem } from '../validation.ts';
import { guardProblems, requestWindow } from '../activity-guard.ts';
import type { SweepContext, SweepRunSettings, SweepTargetPlan } from './state.ts';

export interface SweepTarget {
  bucket: string;
  prefix?: string;
  olderThan: string;
  expectedBucketOwner?: string;
}
export interface SweepRequest {
  targets: SweepTarget[];
  /** sweep ages below SweepMinimumAge */
  force?: boolean;
  dryRun?: boolean;
  maxUploads?: number;
  measure?: boolean;
  /** apply this dry run's plan: abort only its planned uploads (set by the apply, lib/api/plans.ts) */
  planId?: string;
  activityGuard?: boolean;
  activeWithin?: string;
}
export interface PlannedTarget {
  bucket: string;
  prefix: string;
  olderThan: string;
  olderThanSeconds: number;
  cutoff: string;
  expectedBucketOwner?: string;
}
export interface SweepPlan {
  targets: PlannedTarget[];
  dryRun: boolean;
  measure: boolean;
  maxUploads: number;
  trigger: string;
  startedAt: string;
  expiresAt: number;
  /** the dry run whose plan this sweep applies; '' for a sweep that lists its targets */
  planId: string;
  /** the activity guard's window from the request (activeWithin; 0 with activityGuard false); absent: the setting's */
  activeWithinSeconds?: number;
}

export const MAX_TARGETS = 20;
/** a sweep's id: its Step Functions execution name */
export const SWEEP_ID = /^[0-9A-Za-z_-]{1,80}$/;
const SWEEP_REQUEST_FIELDS = ['targets', 'dryRun', 'maxUploads', 'measure', 'planId', 'force', 'activityGuard', 'activeWithin'];
export const DEFAULT_MAX_UPLOADS = 100_000;
export const MAX_MAX_UPLOADS = 1_000_000;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
/** a sweep cannot reach back further than 100 years */
const MAX_AGE_SECONDS = 36_500 * 86_400;

/** "30m", "24h", "7d", "90s", "1d12h" → seconds; undefined if not a duration */
export function parseAge(text: string): number | undefined {
  const match = /^(\d+[smhd])+$/.exec(text);
  if (!match) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhd])/g)) seconds += Number(amount) * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
  return seconds;
}

/** The moment an upload must have been initiated before to be old enough; second precision, ISO-8601 UTC. */
export function cutoffFor(start: Date, olderThanSeconds: number): string {
  return new Date(Math.floor(start.getTime() / 1000) * 1000 - olderThanSeconds * 1000).toISOString();
}

/** "1h", "90m", "45s": the largest units that write the seconds exactly */
export function formatAge(seconds: number): string {
  if (seconds === 0) return '0s';
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of Object.entries(UNIT_SECONDS).reverse()) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}

export interface SweepRules {
  /** SweepMinimumAge as deployed (default: lib/settings.json) */
  minimumAgeSeconds?: number;
  /** how the caller names the override in the refusal: "force": true (API, events) or --force (CLI) */
  forceName?: string;
}

export function validateSweepRequest(input: unknown, rules: SweepRules = {}): Problem[] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return [{ field: 'body', rule: 'must be a JSON object' }];
  const body = input as Record<string, unknown>;
  const problems: Problem[] = [];
  for (const field of Object.keys(body)) {
    if (!SWEEP_REQUEST_FIELDS.includes(field)) {
      problems.push({ field, rule: `is not a known field (known: ${SWEEP_REQUEST_FIELDS.join(', ')})` });
    }
  }
  if (!Array.isArray(body.targets) || body.targets.length === 0) {
    problems.push({ field: 'targets', rule: 'must be a non-empty array' });
  } else if (body.targets.length > MAX_TARGETS) {
    problems.push({ field: 'targets', rule: `must have at most ${MAX_TARGETS} entries` });
  } else {
    body.targets.forEach((target: unknown, i: number) => {
      const at = `targets[${i}]`;
      if (target === null || typeof target !== 'object' || Array.isArray(target)) {
        problems.push({ field: at, rule: 'must be an object' });
        return;
      }
      const t = target as Record<string, unknown>;
      for (const field of Object.keys(t)) {
        if (!['bucket', 'prefix', 'olderThan', 'expectedBucketOwner'].includes(field))
          problems.push({ field: `${at}.${field}`, rule: 'is not a known field (known: bucket, prefix, olderThan, expectedBucketOwner)' });
      }
      if (typeof t.bucket !== 'string') problems.push({ field: `${at}.bucket`, rule: 'is required, a string' });
      else {
        const rule = bucketProblem(t.bucket);
        if (rule) problems.push({ field: `${at}.bucket`, rule });
      }
      if (t.prefix !== undefined) {
        const rule = typeof t.prefix === 'string' ? prefixProblem(t.prefix) : 'must be a string of at most 1,024 bytes';
        if (rule) problems.push({ field: `${at}.prefix`, rule });
      }
      if (typeof t.olderThan !== 'string') problems.push({ field: `${at}.olderThan`, rule: 'is required, a duration such as "30m", "24h" or "7d"' });
      else {
        const seconds = parseAge(t.olderThan);
        if (seconds === undefined) problems.push({ field: `${at}.olderThan`, rule: 'must be a duration such as "30m", "24h" or "7d" (units s, m, h, d)' });
        else if (seconds > MAX_AGE_SECONDS) problems.push({ field: `${at}.olderThan`, rule: 'must be at most 36500d' });
      }
      if (t.expectedBucketOwner !== undefined && (typeof t.expectedBucketOwner !== 'string' || !/^\d{12}$/.test(t.expectedBucketOwner))) {
        problems.push({ field: `${at}.expectedBucketOwner`, rule: 'must be a 12-digit AWS account id' });
      }
    });
  }
  if (problems.length === 0) problems.push(...overlaps(body.targets as SweepTarget[]));
  problems.push(...guardProblems(body));
  for (const flag of ['dryRun', 'measure', 'force'] as const) {
    if (body[flag] !== undefined && typeof body[flag] !== 'boolean') problems.push({ field: flag, rule: 'must be true or false' });
  }
  if (body.planId !== undefined && (typeof body.planId !== 'string' || !SWEEP_ID.test(body.planId)))
    problems.push({ field: 'planId', rule: 'must be a sweep id (1 to 80 letters, digits, - and _)' });
  if (body.planId !== undefined && (body.dryRun === true || body.measure === false))
    problems.push({ field: 'planId', rule: 'applies a plan: not a dry run, and measured (each planned upload is measured again)' });
  if (problems.length === 0 && body.force !== true) problems.push(...tooYoung(body.targets as SweepTarget[], rules));
  if (body.dryRun === true && body.measure === false) {
    problems.push({ field: 'measure', rule: 'cannot be false in a dry run (a dry run records what it measured)' });
  }
  if (
    body.maxUploads !== undefined &&
    (!Number.isInteger(body.maxUploads) || (body.maxUploads as number) < 1 || (body.maxUploads as number) > MAX_MAX_UPLOADS)
  ) {
    problems.push({ field: 'maxUploads', rule: `must be a whole number from 1 to ${MAX_MAX_UPLOADS.toLocaleString('en-US')}` });
  }
  return problems;
}

/** Targets whose age is below the minimum: an upload that young may still be receiving parts (refused unless forced). */
function tooYoung(targets: SweepTarget[], rules: SweepRules): Problem[] {
  const minimum = rules.minimumAgeSeconds ?? SWEEP_SETTINGS_DEFAULTS.SweepMinimumAge;
  const i = targets.findIndex((t) => parseAge(t.olderThan)! < minimum);
  if (i < 0) return [];
  return [
    {
      field: `targets[${i}].olderThan`,
      rule: `is ${targets[i].olderThan}, below the minimum age of ${formatAge(minimum)} (setting SweepMinimumAge): uploads that young may still be receiving parts; add ${rules.forceName ?? '"force": true'} to sweep them anyway`,
    },
  ];
}

/**
 * Two targets of one bucket whose prefixes overlap would list the same uploads twice (counted twice in a dry run,
 * aborted by one target and found gone by the other): refused, as one target with the shorter prefix covers both.
 */
function overlaps(targets: SweepTarget[]): Problem[] {
  for (let j = 1; j < targets.length; j += 1) {
    for (let i = 0; i < j; i += 1) {
      const [a, b] = [targets[i], targets[j]];
      const [pa, pb] = [a.prefix ?? '', b.prefix ?? ''];
      if (a.bucket === b.bucket && (pa.startsWith(pb) || pb.startsWith(pa))) {
        return [{ field: `targets[${j}]`, rule: `overlaps targets[${i}] (bucket ${a.bucket}, prefixes "${pa}" and "${pb}"): sweep the shorter prefix once` }];
      }
    }
  }
  return [];
}

export class InvalidSweepRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSweepRequest';
  }
}

/** who started a sweep: each entry sets its own (the API, the CLI, the schedule's input, the event rule's template) */
export const SWEEP_TRIGGERS = ['api', 'cli', 'schedule', 'event', 'direct'] as const;

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * A sweep execution's input as its request and trigger. Two forms: the request with the `trigger` its starter adds
 * beside it (the API, the CLI, the schedule; "direct" when none), or the event rule's envelope
 * `{"request": <detail>, "trigger": "event"}`, where a `trigger` inside the detail is dropped: the sender of an event
 * does not choose how its sweep is recorded.
 */
export function sweepInput(input: unknown): { request: unknown; trigger: unknown } {
  if (!isObject(input)) return { request: input, trigger: 'direct' };
  if (Object.hasOwn(input, 'request') && !Object.hasOwn(input, 'targets')) {
    const { request, trigger = 'direct', ...rest } = input;
    const { trigger: _ignored, ...detail } = isObject(request) ? request : { request };
    return { request: isObject(request) ? { ...detail, ...rest } : request, trigger };
  }
  const { trigger = 'direct', ...request } = input;
  return { request, trigger };
}

/** The plan for a sweep execution's input (sweepInput's two forms). */
export function planSweep(
  input: unknown,
  start: Date,
  retentionSeconds: number = ABORT_SETTINGS_DEFAULTS.RecordRetentionSeconds,
  rules: SweepRules = {},
): SweepPlan {
  const { request, trigger } = sweepInput(input);
  const problems = validateSweepRequest(request, rules);
  if (typeof trigger !== 'string' || !(SWEEP_TRIGGERS as readonly string[]).includes(trigger))
    problems.push({ field: 'trigger', rule: `must be one of ${SWEEP_TRIGGERS.join(', ')}` });
  if (problems.length > 0) throw new InvalidSweepRequest(problems.map((p) => `${p.field}: ${p.rule}`).join('; '));
  const r = request as unknown as SweepRequest;
  return {
    targets: r.targets.map((t) => {
      const olderThanSeconds = parseAge(t.olderThan)!;
      return {
        bucket: t.bucket,
        prefix: t.prefix ?? '',
        olderThan: t.olderThan,
        olderThanSeconds,
        cutoff: cutoffFor(start, olderThanSeconds),
        ...(t.expectedBucketOwner ? { expectedBucketOwner: t.expectedBucketOwner } : {}),
      };
    }),
    dryRun: r.dryRun ?? false,
    measure: r.measure ?? true,
    maxUploads: r.maxUploads ?? DEFAULT_MAX_UPLOADS,
    trigger: trigger as string,
    ...requestWindow(r),
    startedAt: start.toISOString(),
    expiresAt: Math.floor(start.getTime() / 1000) + retentionSeconds,
    planId: r.planId ?? '',
  };
}

export interface PlanSweepEvent {
  request: unknown;
  /** the deployed SweepMinimumAge (the definition passes it; default lib/settings.json) */
  minimumAgeSeconds?: number;
  startTime: string;
  executionArn: string;
  settings: Omit<SweepRunSettings, 'retentionSeconds'> & { retentionSeconds?: number };
}

export interface SweepRunPlan extends SweepPlan {
  /** each target with its index, the owner S3 must see and maxUploads: what sweep-target starts from */
  targets: SweepTargetPlan[];
  sweep: SweepContext;
}

/** S3 answers at most 1,000 uploads per ListMultipartUploads; an Express execution stops at 5 minutes */
const SETTING_LIMITS: Partial<Record<keyof SweepRunSettings, number>> = { pageUploads: 1000, runSeconds: 240 };

/**
 * The plan of a sweep execution: the request validated, each target with its cutoff and the owner S3 must see
 * (ExpectedBucketOwner: the request's, else the account running the sweep), and the sweep's context.
 */
export function planSweepRun(event: PlanSweepEvent): SweepRunPlan {
  const settings: SweepRunSettings = { retentionSeconds: ABORT_SETTINGS_DEFAULTS.RecordRetentionSeconds, ...event.settings };
  for (const [name, value] of Object.entries(settings) as Array<[keyof SweepRunSettings, number]>) {
    const most = SETTING_LIMITS[name] ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isInteger(value) || value < 0 || value > most) throw new Error(`sweep setting ${name} must be a whole number from 0 to ${most}, got ${value}`);
  }
  const planned = planSweep(event.request, new Date(event.startTime), settings.retentionSeconds, { minimumAgeSeconds: event.minimumAgeSeconds });
  // a dry run's record and plan pages outlive SweepPlanMaxAge, whatever the records' retention
  const keep = planned.dryRun ? Math.max(settings.retentionSeconds, settings.planMaxAgeSeconds ?? 0) : settings.retentionSeconds;
  const plan = { ...planned, expiresAt: Math.floor(new Date(event.startTime).getTime() / 1000) + keep };
  const account = event.executionArn.split(':')[4];
  const sweep: SweepContext = {
    id: event.executionArn.split(':').pop()!,
    executionArn: event.executionArn,
    startedAt: plan.startedAt,
    dryRun: plan.dryRun,
    measure: plan.dryRun || plan.measure,
    activeWithinSeconds: plan.activeWithinSeconds ?? settings.activeWithinSeconds ?? 0,
    settings,
    ...(plan.planId ? { planId: plan.planId } : {}),
  };
  const targets = plan.targets.map(
    (target, index): SweepTargetPlan => ({
      ...target,
      index,
      expectedBucketOwner: target.expectedBucketOwner ?? account,
      maxUploads: plan.maxUploads,
    }),
  );
  return { ...plan, measure: sweep.measure, targets, sweep };
}
