/**
 * The activity guard's rules, shared by the sweep (lib/sweep/list.ts) and the single abort (lib/abort-run.ts): an
 * upload whose newest part (the largest LastModified over all its ListParts pages) is within the window is left alone
 * (SKIPPED_ACTIVE); one whose ListParts S3 refuses cannot be checked (SKIPPED_UNREADABLE when guarded, else aborted
 * unverified). docs/activity-guard.md says what it cannot promise.
 */
import { parseAge } from './sweep/plan.ts';
import { classifySdkError } from './task-errors.ts';

/** the longest window a request may ask for: 7 days */
export const WINDOW_MAX_SECONDS = 7 * 86_400;

/** a window ("15m", "0s" … "7d") as seconds, or the rule it breaks */
export function parseWindow(value: unknown): { seconds?: number; rule?: string } {
  const rule = 'must be a duration from 0s to 7d, such as "15m" or "1h" (units s, m, h, d)';
  if (typeof value !== 'string') return { rule };
  const seconds = parseAge(value);
  return seconds === undefined || seconds > WINDOW_MAX_SECONDS ? { rule } : { seconds };
}

/** a part arrived within the window before now (a window of 0 guards nothing) */
export function isActive(lastPartAt: string | undefined, windowSeconds: number, now: Date): boolean {
  return windowSeconds > 0 && lastPartAt !== undefined && Date.parse(lastPartAt) > now.getTime() - windowSeconds * 1000;
}

export const activeCause = (lastPartAt: string, windowSeconds: number) =>
  `A part arrived at ${lastPartAt}, within the activity guard's ${windowSeconds} s: left alone; a later run aborts it once idle.`;

/** S3 refused ListParts with 403: for an SSE-KMS or DSSE-KMS upload, the caller lacks kms:Decrypt on its key */
export const isUnreadable = (error: unknown) => classifySdkError(error).code === 'AccessDenied';

/** what the operator grants so that ListParts can read the upload (S3 API Reference, ListParts: kms:Decrypt for SSE-KMS) */
export function grantHint(region = process.env.AWS_REGION ?? 'us-east-1'): string {
  return (
    `If the upload is encrypted with SSE-KMS or DSSE-KMS, allow this stack's roles kms:Decrypt on its KMS key through S3 ` +
    `(key policy condition kms:ViaService = s3.${region}.amazonaws.com).`
  );
}

export const unreadableCause = (error: string, what: string) => `S3 answered ${error} to ListParts: ${what}. ${grantHint()}`;

/** a sweep request's activityGuard (true or false) and activeWithin (a window), as problems */
export function guardProblems(body: Record<string, unknown>): Array<{ field: string; rule: string }> {
  const problems: Array<{ field: string; rule: string }> = [];
  if (body.activityGuard !== undefined && typeof body.activityGuard !== 'boolean') problems.push({ field: 'activityGuard', rule: 'must be true or false' });
  if (body.activeWithin !== undefined) {
    const { rule } = parseWindow(body.activeWithin);
    if (rule) problems.push({ field: 'activeWithin', rule });
    else if (body.activityGuard === false) problems.push({ field: 'activeWithin', rule: 'cannot be given with activityGuard false' });
  }
  return problems;
}

/** the window a valid sweep request asks for: 0 with the guard off, its activeWithin, else none (the setting's) */
export function requestWindow(request: { activityGuard?: boolean; activeWithin?: string }): { activeWithinSeconds?: number } {
  if (request.activityGuard === false) return { activeWithinSeconds: 0 };
  return request.activeWithin !== undefined ? { activeWithinSeconds: parseWindow(request.activeWithin).seconds } : {};
}
