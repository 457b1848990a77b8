/**
 * The rules an abort request must follow, as pure functions: each broken rule is a { field, rule } problem, named as
 * the HTTP API's body names the field. The API answers the first with a 400; the CLI maps the field to its flag.
 */
import { parseWindow } from './activity-guard.ts';

export interface Problem {
  field: string;
  rule: string;
}

export interface AbortRequest {
  bucket: string;
  key: string;
  uploadId: string;
  requestPayer?: 'requester';
  expectedBucketOwner?: string;
  ifMatchInitiatedTime?: string;
  /** the activity guard for one upload: skip it (SKIPPED_ACTIVE) when a part arrived within this window ("15m") */
  idleFor?: string;
}

export const ABORT_REQUEST_FIELDS = ['bucket', 'key', 'uploadId', 'requestPayer', 'expectedBucketOwner', 'ifMatchInitiatedTime', 'idleFor'] as const;

const GENERAL_PURPOSE_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** base-name--zone-id--x-s3, e.g. my-bucket--usw2-az1--x-s3 or b--usw2-lax1-az1--x-s3 (a Local Zone) */
const DIRECTORY_BUCKET = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?--[a-z0-9]+(?:-[a-z0-9]+)+--x-s3$/;
/** S3's general purpose bucket naming rules: prefixes and suffixes it reserves (S3 User Guide, "Bucket naming rules") */
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--table-s3'];
/** S3 upload ids are opaque printable ASCII; "/" and control characters are refused so that nothing can be smuggled in */
const UPLOAD_ID = /^[\x21-\x2e\x30-\x7e]{1,1024}$/;
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

export const isDirectoryBucket = (bucket: string) => DIRECTORY_BUCKET.test(bucket) && bucket.length <= 63;

export function bucketProblem(bucket: string): string | undefined {
  if (bucket.length < 3 || bucket.length > 63) return 'must be 3 to 63 characters';
  const reservedPrefix = RESERVED_PREFIXES.find((prefix) => bucket.startsWith(prefix));
  if (reservedPrefix) return `must not start with the reserved prefix ${reservedPrefix}`;
  if (isDirectoryBucket(bucket)) return undefined;
  if (!GENERAL_PURPOSE_BUCKET.test(bucket))
    return 'must be lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit (or a directory bucket name--zone-id--x-s3)';
  // S3 reserves the suffix for directory buckets: no general purpose bucket is named so
  if (bucket.endsWith('--x-s3')) return 'ends with --x-s3 but is no directory bucket name (base-name--zone-id--x-s3, e.g. my-bucket--usw2-az1--x-s3)';
  if (bucket.includes('..')) return 'must not contain two adjacent dots';
  const reservedSuffix = RESERVED_SUFFIXES.find((suffix) => bucket.endsWith(suffix));
  if (reservedSuffix) return `must not end with the reserved suffix ${reservedSuffix}`;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(bucket)) return 'must not be formatted as an IP address';
  return undefined;
}

/**
 * A lone surrogate has no UTF-8 encoding (Buffer would send U+FFFD in its place: another key). U+FFFD itself is a
 * character like any other: S3 stores keys that hold it, and a sweep lists and aborts them.
 */
const isWellFormed = (text: string) => !/[\uD800-\uDFFF]/.test(text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));

export function keyProblem(key: string): string | undefined {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes < 1 || bytes > 1024) return `must be 1 to 1,024 bytes of UTF-8, got ${bytes}`;
  if (!isWellFormed(key)) return 'must be valid UTF-8 (it holds a lone surrogate)';
  return undefined;
}

/** C0 controls, DEL and C1 controls: a listing prefix holding one makes moto answer an HTML error page */
const CONTROL_CHARACTER = /\p{Cc}/u;

/** A sweep's key prefix: at most 1,024 bytes (a key's limit), valid UTF-8, no control characters; "" is every key. */
export function prefixProblem(prefix: string): string | undefined {
  const bytes = Buffer.byteLength(prefix, 'utf8');
  if (bytes > 1024) return `must be at most 1,024 bytes of UTF-8, got ${bytes}`;
  if (!isWellFormed(prefix)) return 'must be valid UTF-8 (it holds a lone surrogate)';
  const control = CONTROL_CHARACTER.exec(prefix);
  if (control) return `must not hold control characters (U+${control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} at ${control.index})`;
  return undefined;
}

/**
 * A whole number written in decimal digits, from min to max: the one reading of numbers from query strings and
 * command-line flags. Number() would take "0x10", "1e2", " 5" and "1.0" as 16, 100, 5 and 1.
 */
export function wholeNumber(text: string, min: number, max: number): { value: number } | { rule: string } {
  const value = /^[0-9]{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isSafeInteger(value) && value >= min && value <= max) return { value };
  return {
    rule: `must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')} in decimal digits, got ${JSON.stringify(text)}`,
  };
}

export function uploadIdProblem(uploadId: string): string | undefined {
  if (uploadId.trim() === '') return 'must not be empty';
  if (uploadId.length > 1024) return `must be at most 1,024 characters, got ${uploadId.length}`;
  if (!UPLOAD_ID.test(uploadId)) return 'must be printable ASCII without "/", spaces or control characters';
  return undefined;
}

/** An ISO-8601 date and time with seconds and a zone (Z or ±hh:mm), on a day the calendar has. */
export function isIso8601(value: string): boolean {
  const match = ISO_8601.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second, offsetHours = 0, offsetMinutes = 0] = match
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part))) as number[];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 23 &&
    offsetMinutes <= 59
  );
}

/**
 * Every problem of an abort request (an object from JSON or from CLI flags). Unknown fields are problems too, except
 * `recheck` (a boolean) when allowRecheck is set (the API's "start a fresh verification run").
 */
export function validateAbortRequest(input: unknown, options: { allowRecheck?: boolean } = {}): Problem[] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return [{ field: 'body', rule: 'must be a JSON object' }];
  const body = input as Record<string, unknown>;
  const problems: Problem[] = [];
  const known = new Set<string>([...ABORT_REQUEST_FIELDS, ...(options.allowRecheck ? ['recheck'] : [])]);
  for (const field of Object.keys(body)) {
    if (!known.has(field)) problems.push({ field, rule: `is not a known field (known: ${[...known].join(', ')})` });
  }
  const string = (field: string, required: boolean): string | undefined => {
    const value = body[field];
    if (value === undefined) {
      if (required) problems.push({ field, rule: 'is required' });
      return undefined;
    }
    if (typeof value !== 'string') {
      problems.push({ field, rule: `must be a string, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}` });
      return undefined;
    }
    return value;
  };
  const bucket = string('bucket', true);
  if (bucket !== undefined) {
    const rule = bucketProblem(bucket);
    if (rule) problems.push({ field: 'bucket', rule });
  }
  const key = string('key', true);
  if (key !== undefined) {
    const rule = keyProblem(key);
    if (rule) problems.push({ field: 'key', rule });
  }
  const uploadId = string('uploadId', true);
  if (uploadId !== undefined) {
    const rule = uploadIdProblem(uploadId);
    if (rule) problems.push({ field: 'uploadId', rule });
  }
  const requestPayer = string('requestPayer', false);
  if (requestPayer !== undefined && requestPayer !== 'requester') problems.push({ field: 'requestPayer', rule: 'must be "requester"' });
  const owner = string('expectedBucketOwner', false);
  if (owner !== undefined && !/^\d{12}$/.test(owner)) problems.push({ field: 'expectedBucketOwner', rule: 'must be a 12-digit AWS account id' });
  const initiated = string('ifMatchInitiatedTime', false);
  if (initiated !== undefined) {
    if (!isIso8601(initiated)) problems.push({ field: 'ifMatchInitiatedTime', rule: 'must be an ISO-8601 time such as 2026-11-20T10:00:00Z' });
    else if (bucket !== undefined && !isDirectoryBucket(bucket))
      problems.push({ field: 'ifMatchInitiatedTime', rule: 'is only for directory buckets (name--zone-id--x-s3)' });
  }
  const idleFor = string('idleFor', false);
  if (idleFor !== undefined) {
    const { rule } = parseWindow(idleFor);
    if (rule) problems.push({ field: 'idleFor', rule });
  }
  if (requestPayer !== undefined && bucket !== undefined && isDirectoryBucket(bucket)) {
    problems.push({ field: 'requestPayer', rule: 'is not supported by directory buckets' });
  }
  if (options.allowRecheck && body.recheck !== undefined && typeof body.recheck !== 'boolean') {
    problems.push({ field: 'recheck', rule: 'must be true or false' });
  }
  return problems;
}

/** Who started a run. Internal triggers (sweep, deadline) are set by this project's own state machines only. */
export const RUN_TRIGGERS = ['api', 'cli', 'event', 'deadline', 'sweep', 'direct'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];
/** AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: the parent execution, which Step Functions passes in a nested run's input */
const RUN_FIELDS = ['request', 'trigger', 'recheck', 'dryRun', 'sweepId', 'initiated', 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID'] as const;
const EXECUTION_NAME = /^[0-9A-Za-z_-]{1,80}$/;

/** The input of an abort-upload execution: the upload request, and how the run was started. */
export interface RunInput {
  request: AbortRequest;
  trigger: RunTrigger;
  recheck: boolean;
  dryRun: boolean;
  sweepId?: string;
  /** when the upload was initiated (a deadline run: the CloudTrail event's time): an object older than it is not the upload's */
  initiated?: string;
}

/**
 * The execution input's rules: the one validator every entry shares (the API and the CLI before they start a run, the
 * workflow's first state for events and bare StartExecution calls). The request's fields are named "request.<field>".
 */
export function parseRunInput(input: unknown): { run?: RunInput; problems: Problem[] } {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return { problems: [{ field: 'input', rule: 'must be a JSON object' }] };
  const envelope = input as Record<string, unknown>;
  const problems: Problem[] = Object.keys(envelope)
    .filter((field) => !(RUN_FIELDS as readonly string[]).includes(field))
    .map((field) => ({ field, rule: `is not a known field (known: ${RUN_FIELDS.join(', ')})` }));
  if (envelope.request === undefined) problems.push({ field: 'request', rule: 'is required' });
  else
    problems.push(
      ...validateAbortRequest(envelope.request).map((p) => ({ field: `request.${p.field === 'body' ? '' : p.field}`.replace(/\.$/, ''), rule: p.rule })),
    );
  const trigger = envelope.trigger ?? 'direct';
  if (typeof trigger !== 'string' || !(RUN_TRIGGERS as readonly string[]).includes(trigger))
    problems.push({ field: 'trigger', rule: `must be one of ${RUN_TRIGGERS.join(', ')}` });
  for (const flag of ['recheck', 'dryRun'] as const) {
    if (envelope[flag] !== undefined && typeof envelope[flag] !== 'boolean') problems.push({ field: flag, rule: 'must be true or false' });
  }
  if (envelope.sweepId !== undefined) {
    if (trigger !== 'sweep') problems.push({ field: 'sweepId', rule: 'is set by sweeps only (trigger "sweep")' });
    else if (typeof envelope.sweepId !== 'string' || !EXECUTION_NAME.test(envelope.sweepId))
      problems.push({ field: 'sweepId', rule: 'must be a sweep id (1 to 80 of 0-9A-Za-z_-)' });
  } else if (trigger === 'sweep') problems.push({ field: 'sweepId', rule: 'is required with trigger "sweep"' });
  if (envelope.initiated !== undefined && (typeof envelope.initiated !== 'string' || !isIso8601(envelope.initiated)))
    problems.push({ field: 'initiated', rule: 'must be an ISO-8601 time such as 2026-11-20T10:00:00Z' });
  if (problems.length > 0) return { problems };
  return {
    problems,
    run: {
      request: envelope.request as AbortRequest,
      trigger: trigger as RunTrigger,
      recheck: envelope.recheck === true,
      dryRun: envelope.dryRun === true,
      ...(envelope.sweepId !== undefined ? { sweepId: envelope.sweepId as string } : {}),
      ...(envelope.initiated !== undefined ? { initiated: envelope.initiated as string } : {}),
    },
  };
}

/** The execution input for a request: the fields in a fixed order (StartExecution's idempotency compares inputs). */
export function runInput(
  request: AbortRequest,
  trigger: RunTrigger,
  options: { recheck?: boolean; dryRun?: boolean; sweepId?: string } = {},
): Record<string, unknown> {
  const ordered: Record<string, string> = { bucket: request.bucket, key: request.key, uploadId: request.uploadId };
  for (const field of ['requestPayer', 'expectedBucketOwner', 'ifMatchInitiatedTime', 'idleFor'] as const)
    if (request[field] !== undefined) ordered[field] = request[field]!;
  return {
    request: ordered,
    trigger,
    ...(options.recheck ? { recheck: true } : {}),
    ...(options.dryRun ? { dryRun: true } : {}),
    ...(options.sweepId ? { sweepId: options.sweepId } : {}),
  };
}
