/** The cost model's arithmetic, and the size of a sweep's record on AWS (it decides the write units per upload). */
import { describe, expect, it } from 'vitest';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { costPerMillion, itemBytes, OLD_DESIGN, PRICES, TYPICAL_UPLOAD, transactItemUnits, withActivityGuard, writeUnits } from '../bench/cost.ts';
import { ledgerUpdate } from '../../lib/ledger.ts';
import { uploadRecord } from '../../lib/sweep/record.ts';
import { emptyTotals, type TargetState } from '../../lib/sweep/state.ts';

const attributes = (item: object): Record<string, AttributeValue> =>
  Object.fromEntries(
    Object.entries(item).map(([name, value]) => [
      name,
      typeof value === 'string' ? { S: value } : typeof value === 'number' ? { N: String(value) } : { BOOL: Boolean(value) },
    ]),
  );

describe('costPerMillion', () => {
  it("prices the old design at the issue's counts: 30 transitions, 2 ListParts, 4 UpdateItems (×3 with the two indexes)", () => {
    const cost = costPerMillion(OLD_DESIGN);
    expect(cost.lines.standardTransitions).toBeCloseTo(750);
    expect(cost.lines.s3ListRequests).toBeCloseTo(10);
    expect(cost.lines.dynamoWriteUnits).toBeCloseTo(7.5);
    expect(cost.total).toBeCloseTo(767.5);
  });

  it("adds per-upload counts and per-page counts shared by the page's uploads", () => {
    const cost = costPerMillion({
      name: 'x',
      uploadsPerPage: 500,
      perUpload: { s3ListRequests: 1, dynamoWriteUnits: 3 },
      perPage: { standardTransitions: 2, expressRequests: 1 },
    });
    expect(cost.lines.s3ListRequests).toBeCloseTo(5);
    expect(cost.lines.dynamoWriteUnits).toBeCloseTo(1.875);
    expect(cost.lines.standardTransitions).toBeCloseTo((2 / 500) * PRICES.standardTransition * 1e6);
    expect(cost.total).toBeCloseTo(5 + 1.875 + 0.1 + 0.002);
  });

  it('prices the activity guard: nothing on a measured sweep, one ListParts per upload ($5 per million) and its Lambda wait without the measure', () => {
    const design = { name: 'd', uploadsPerPage: 500, perUpload: { s3ListRequests: 1, dynamoWriteUnits: 3 }, perPage: {} };
    const base = costPerMillion(design).total;
    expect(costPerMillion(withActivityGuard(design, true)).total).toBeCloseTo(base);
    const lean = costPerMillion(withActivityGuard(design, false));
    expect(lean.lines.s3ListRequests).toBeCloseTo(10);
    expect(lean.total - base).toBeGreaterThan(5);
    expect(lean.total - base).toBeLessThan(5.01);
  });
});

describe('write units', () => {
  it('counts the table and each index whose keys the item holds', () => {
    expect(writeUnits(attributes({ id: 'a', listKey: 'upload#03', statusKey: 'ABORTED#03', status: 'ABORTED', startedAt: 't' }))).toBe(3);
    expect(writeUnits(attributes({ id: 'a#target-0', seq: 1 }))).toBe(1);
    // a sweep record: in the newest-first index only
    expect(writeUnits(attributes({ id: 'a', listKey: 'sweep', status: 'RUNNING', startedAt: 't', big: 'x'.repeat(1500) }))).toBe(4);
  });

  it("a sweep's record of a typical upload on AWS is under 1 KB: 3 write units with the two indexes", () => {
    // Arrange: names as a production stack gives them, a key of 100 bytes, an upload id of 150 characters, measured
    const state = {
      sweep: {
        id: 'sweep-20261122T211340Z-3f9a1c',
        executionArn: 'arn:aws:states:us-east-1:123456789012:execution:s3-mpu-reaper-prod-sweep-uploads:sweep-20261122T211340Z-3f9a1c',
        startedAt: '',
        dryRun: false,
        measure: true,
        settings: { retentionSeconds: 7_776_000 },
      },
      target: { bucket: 'my-data-lake-bucket-prod' },
      totals: emptyTotals(),
    } as unknown as TargetState;
    const record = uploadRecord(
      state,
      '2026-11-22T21:13:41.123Z',
      { k: 'k'.repeat(TYPICAL_UPLOAD.keyBytes), u: 'U'.repeat(TYPICAL_UPLOAD.uploadIdChars), p: 1234, b: 6_467_616_768 },
      { status: 'ABORTED', attempts: 1 },
      '2026-11-22T21:13:47.456Z',
    );

    // Act
    const bytes = itemBytes(attributes(record));

    // Assert
    expect(bytes).toBeLessThan(1024);
    expect(writeUnits(attributes(record))).toBe(3);
  });
});

describe("the ledger's write units", () => {
  it('prices a transaction item twice in the table, once per index: a marker 2, a ledger item 3; a page of a typical sweep adds cents per million', () => {
    // Arrange: a marker, and a ledger ADD of two classes as lib/ledger.ts writes them, marshalled
    const marker = {
      Put: { Item: attributes({ id: 'sweep-20261122T211340Z-3f9a1c#target-19#lane-3#ledger#99999', recordType: 'ledger-marker', expiresAt: 1_800_000_000 }) },
    };
    const update = ledgerUpdate('records', {
      bucket: 'my-data-lake-bucket-prod',
      month: '2026-11',
      uploads: 449,
      bytesFreed: 6_467_616_768,
      zeroPartUploads: 3,
      classes: { 'us-east-1#STANDARD': { uploads: 400, bytes: 6_000_000_000 }, 'us-east-1#STANDARD_IA': { uploads: 49, bytes: 467_616_768 } },
    }).Update!;
    const ledger = {
      Update: {
        Key: attributes(update.Key!),
        ExpressionAttributeNames: update.ExpressionAttributeNames,
        ExpressionAttributeValues: attributes(update.ExpressionAttributeValues!),
      },
    };
    // a checkpoint of ~3 KB written in the same transaction costs its 3 units once more
    const checkpointExtra = 3;

    // Act
    const perPage = checkpointExtra + transactItemUnits(marker) + transactItemUnits(ledger);
    const cost = costPerMillion({ name: 'ledger', uploadsPerPage: 449, perUpload: {}, perPage: { dynamoLedgerWriteUnits: perPage } });

    // Assert
    expect(transactItemUnits(marker)).toBe(2);
    expect(transactItemUnits(ledger)).toBe(3); // in byStatusShard (statusKey LEDGER, startedAt the month)
    expect(cost.lines.dynamoLedgerWriteUnits).toBeCloseTo((8 / 449) * 0.625, 6);
    expect(cost.total).toBeLessThan(0.02);
  });
});
