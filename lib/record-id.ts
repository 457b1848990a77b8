import { createHash } from 'node:crypto';

/**
 * The record id of an upload: SHA-256 (hex) of "bucket/uploadId/key". The state machine computes the same
 * value with States.Hash(States.Format('{}/{}/{}', …)), so a run started by any trigger finds its record.
 */
export function recordId(bucket: string, key: string, uploadId: string): string {
  return createHash('sha256').update(`${bucket}/${uploadId}/${key}`, 'utf8').digest('hex');
}

/** Deterministic execution name (≤ 80 chars of [0-9A-Za-z_-]): the same upload never gets two ordinary runs. */
export function abortExecutionName(id: string): string {
  return `abort-${id}`;
}

/** A deliberate re-verification gets a fresh, still traceable name. */
export function recheckExecutionName(id: string, now = new Date()): string {
  return `recheck-${id.slice(0, 48)}-${now.getTime().toString(36)}`;
}
