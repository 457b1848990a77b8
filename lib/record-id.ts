import { createHash } from 'node:crypto';

/**
 * The record id of an upload: SHA-256 (hex) of the JSON array [bucket, key, uploadId]. JSON quotes and escapes each
 * part, so no two different uploads share an id, whatever characters their keys or upload ids hold (a plain
 * "bucket/uploadId/key" let {key "b", uploadId "U/a"} and {key "a/b", uploadId "U"} collide).
 */
export function recordId(bucket: string, key: string, uploadId: string): string {
  return createHash('sha256')
    .update(JSON.stringify([bucket, key, uploadId]), 'utf8')
    .digest('hex');
}

/** Deterministic execution name (≤ 80 chars of [0-9A-Za-z_-]): the same upload never gets two ordinary runs. */
export function abortExecutionName(id: string): string {
  return `abort-${id}`;
}

/** A deliberate re-verification gets a fresh, still traceable name. */
export function recheckExecutionName(id: string, now = new Date()): string {
  return `recheck-${id.slice(0, 48)}-${now.getTime().toString(36)}`;
}
