/**
 * Moved to lib/interrupted-runs.ts (it handles EventBridge execution status-change events, not API requests). Kept
 * only for lib/sweep/record.ts, which is being changed elsewhere: import lib/interrupted-runs.ts, then delete this.
 */
export * from '../interrupted-runs.ts';
