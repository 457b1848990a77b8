/**
 * The report's join of the ledger and the records (lib/report/join.ts): which months each source answers for, and a
 * property: whatever the records and the time, ledger months + the records left after their TTL give the totals the
 * whole records would, with nothing counted twice.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ledgerDeltas, ledgerItemDelta, ledgerUpdate, type Countable } from '../../lib/ledger.ts';
import { ledgerRows, reportWindow } from '../../lib/report/join.ts';
import { buildReport, type SavedRecord } from '../../lib/report/report.ts';

const DAY = 86_400;
const NOW = new Date('2026-12-07T12:00:00Z');

describe('reportWindow', () => {
  it('reads the records alone when the window is within their retention, or the stack keeps them', () => {
    expect(reportWindow('2026-11-07T12:00:00.000Z', NOW, 90 * DAY)).toEqual({ recordsSince: '2026-11-07T12:00:00.000Z', ledgerMonths: [] });
    expect(reportWindow('2025-11-07T12:00:00.000Z', NOW, 0)).toEqual({ recordsSince: '2025-11-07T12:00:00.000Z', ledgerMonths: [] });
  });

  it('reads whole months from the ledger up to the first month that began after now − retention', () => {
    // now − 90 d = 2026-09-08: September lost records to the TTL, October is whole
    expect(reportWindow('2026-07-15T00:00:00.000Z', NOW, 90 * DAY)).toEqual({
      recordsSince: '2026-10-01T00:00:00.000Z',
      ledgerMonths: ['2026-07', '2026-08', '2026-09'],
    });
    // now − retention exactly at a month's start: that month is whole
    expect(reportWindow('2026-10-15T00:00:00.000Z', new Date('2026-12-01T00:00:00Z'), 61 * DAY)).toEqual({
      recordsSince: '2026-10-15T00:00:00.000Z',
      ledgerMonths: [],
    });
    expect(reportWindow('2026-09-15T00:00:00.000Z', new Date('2026-12-01T00:00:00Z'), 61 * DAY).ledgerMonths).toEqual(['2026-09']);
  });
});

/** the ledger as DynamoDB would hold it after every writer's ADD: the deltas summed per item, read back as stored */
function storedLedger(records: Countable[]): SavedRecord[] {
  const items = new Map<string, Record<string, unknown>>();
  for (const delta of ledgerDeltas(records)) {
    const update = ledgerUpdate('t', delta).Update!;
    const item = items.get(String(update.Key!.id)) ?? {};
    const names = update.ExpressionAttributeNames!;
    const values = update.ExpressionAttributeValues!;
    for (const [ref, name] of Object.entries(names)) {
      const value = values[`:${ref.slice(1)}`];
      item[name] = ref.startsWith('#a') ? Number(item[name] ?? 0) + Number(value) : value;
    }
    items.set(String(update.Key!.id), item);
  }
  return [...items.values()].map(ledgerItemDelta).flatMap(ledgerRows);
}

const record = fc.record({
  bucket: fc.constantFrom('logs', 'media', 'backups'),
  status: fc.constantFrom('ABORTED', 'ABORTED', 'NOT_FOUND', 'WOULD_ABORT'),
  ageSeconds: fc.integer({ min: 0, max: 420 * DAY }),
  partsFound: fc.constantFrom(0, 1, 3),
  bytesFound: fc.integer({ min: 0, max: 5 * 1024 ** 3 }),
  storageClass: fc.constantFrom('STANDARD', 'STANDARD_IA', 'GLACIER', undefined),
  region: fc.constantFrom('us-east-1', 'eu-west-1', undefined),
});

describe('the join', () => {
  it('ledger months + the records left equal the whole records from the first month read, bucket by bucket', () => {
    fc.assert(
      fc.property(
        fc.array(record, { maxLength: 60 }),
        fc.integer({ min: 3600, max: 400 * DAY }),
        fc.integer({ min: 1, max: 200 * DAY }),
        (drawn, sinceSeconds, retention) => {
          const records = drawn.map((r): SavedRecord & Countable => {
            const startedAt = new Date(NOW.getTime() - r.ageSeconds * 1000).toISOString();
            const parts = r.partsFound === 0 ? { partsFound: 0, bytesFound: 0 } : { partsFound: r.partsFound, bytesFound: r.bytesFound };
            return {
              bucket: r.bucket,
              status: r.status as 'ABORTED',
              startedAt,
              finishedAt: startedAt,
              ...parts,
              storageClass: r.storageClass,
              region: r.region,
            };
          });
          const since = new Date(NOW.getTime() - sinceSeconds * 1000).toISOString();
          const window = reportWindow(since, NOW, retention);
          // the TTL removed every record started before now − retention
          const expiredBefore = new Date(NOW.getTime() - retention * 1000).toISOString();
          const left = records.filter((r) => r.startedAt >= expiredBefore && r.startedAt >= window.recordsSince);
          const ledger = storedLedger(records).filter((row) => window.ledgerMonths.includes(String(row.month)));
          const joined = buildReport([...ledger, ...left], since);
          // what the records would say had none expired, from the first day the join covers
          const from = window.ledgerMonths.length ? `${window.ledgerMonths[0]}-01T00:00:00.000Z` : since;
          const whole = buildReport(
            records.filter((r) => r.startedAt >= from),
            since,
          );
          expect(joined.totals).toEqual(whole.totals);
          expect(joined.buckets).toEqual(whole.buckets);
          // days come from the records alone: none before the records' part
          expect(joined.days.every((d) => d.day >= window.recordsSince.slice(0, 10))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
