/** Checks of a sweep's summary against its records, free of any stack (importing it starts nothing). */
import { expect } from 'vitest';

/** the counters are exactly what the records say: found = records + busy, each status and byte total summed */
export function expectCountersEqualRecords(summary: Record<string, unknown>, records: Array<Record<string, unknown>>) {
  const by = (status: string) => records.filter((r) => r.status === status).length;
  const sum = (field: string) => records.reduce((total, r) => total + Number(r[field] ?? 0), 0);
  expect(summary).toMatchObject({
    aborted: by('ABORTED'),
    notFound: by('NOT_FOUND'),
    partsRemain: by('PARTS_REMAIN'),
    failed: by('FAILED'),
    wouldAbort: by('WOULD_ABORT'),
    skippedActive: by('SKIPPED_ACTIVE'),
    skippedUnreadable: by('SKIPPED_UNREADABLE'),
    partsFound: sum('partsFound'),
    bytesFound: sum('bytesFound'),
    found: records.length + Number(summary.busy),
    bytesFreed: records.filter((r) => r.status === 'ABORTED').reduce((total, r) => total + Number(r.bytesFound ?? 0), 0),
  });
  expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
}
