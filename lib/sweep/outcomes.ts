/**
 * An upload's outcome in a sweep page, from what the page execution's Maps answered (the aborts, the verifying
 * ListParts) or from what the list step decided before any abort (gone, skipped, unreadable): the rules lib/sweep/record.ts
 * writes records by.
 */
import { activeCause, unreadableCause } from '../activity-guard.ts';
import type { AbortStatus } from '../records.ts';
import { classifyTaskError } from '../task-errors.ts';
import type { DecidedItem, PageAnswers } from './page.ts';

export interface Outcome {
  status: AbortStatus;
  attempts: number;
  error?: string;
  cause?: string;
}

const ANSWERS = new Set(['sent', 'gone', 'parts', 'empty', '-']);
const isError = (answer: string | undefined): answer is string => answer !== undefined && !ANSWERS.has(answer);

/** a FAILED outcome from a Step Functions error name (the page execution keeps no cause per upload) */
function failedBy(name: string, where: string, attempts: number): Outcome {
  return {
    status: 'FAILED',
    attempts,
    error: classifyTaskError({ Error: name }).code,
    cause: `${where} answered ${name}; the sweep keeps no cause per upload: a recheck of the upload shows S3's own message`,
  };
}

/**
 * The outcome of the page's upload i, from the answers (NoSuchUpload on the sweep's first abort: NOT_FOUND; after an
 * abort of ours, from the abort or ListParts: ABORTED), or undefined when two aborts did not prove it gone.
 */
export function settledOutcome(answers: PageAnswers, i: number): Outcome | undefined {
  const [aborted, verified] = [answers.aborted?.[i], answers.verified?.answers[i]];
  if (aborted === undefined || verified === undefined) throw new Error(`the page execution gave no answer for upload ${i}`);
  if (aborted === 'gone')
    return { status: 'NOT_FOUND', attempts: 1, cause: 'Listed by the sweep, then gone before its first abort: completed or aborted by someone else.' };
  if (verified === 'gone') return { status: 'ABORTED', attempts: 1 };
  const [again, verifiedAgain] = [answers.abortedAgain?.[i], answers.verifiedAgain?.[i]];
  if (again === 'gone' || verifiedAgain === 'gone') return { status: 'ABORTED', attempts: 2 };
  return undefined;
}

/** what an upload two aborts did not prove gone is recorded as, when it is not handed over */
export function unsettledOutcome(answers: PageAnswers, i: number): Outcome {
  const [again, verifiedAgain] = [answers.abortedAgain?.[i], answers.verifiedAgain?.[i]];
  if (isError(verifiedAgain)) return failedBy(verifiedAgain, 'ListParts after the second abort', 2);
  if (isError(again)) return failedBy(again, 'The second abort', 2);
  return { status: 'PARTS_REMAIN', attempts: 2, cause: "ListParts still listed the upload after the sweep's second abort" };
}

export function decidedOutcome(item: DecidedItem, windowSeconds: number): Outcome {
  if (item.s === 'SKIPPED_CHANGED') return { status: item.s, attempts: 0, cause: item.why };
  if (item.s === 'SKIPPED_ACTIVE') return { status: item.s, attempts: 0, cause: activeCause(item.l ?? '', windowSeconds) };
  if (item.s === 'SKIPPED_UNREADABLE')
    return {
      status: item.s,
      attempts: 0,
      error: item.e,
      cause: unreadableCause(item.e ?? 'AccessDenied', 'the activity guard cannot see its parts; the sweep left it alone'),
    };
  if (item.s === 'NOT_FOUND')
    return {
      status: 'NOT_FOUND',
      attempts: 0,
      cause: 'Listed by the sweep, then gone when it measured the upload (ListParts: NoSuchUpload), before any abort: completed or aborted by someone else.',
    };
  if (item.s !== 'FAILED') return { status: item.s, attempts: 0 };
  return {
    status: 'FAILED',
    attempts: 0,
    error: item.e ?? 'Unknown',
    cause: `S3 answered ${item.e}${item.h ? ` (HTTP ${item.h})` : ''} while ListParts measured the upload`,
  };
}
