/**
 * Nothing lost, no false answer under faults: aborts through the API while 10% of S3 and DynamoDB calls fail in mixed ways,
 * seeded. `npm run soak` runs the same with 1,000 uploads.
 */
import { expect, it } from 'vitest';
import { runSoak, runSweepSoak } from '../support/soak.ts';

it('aborts 120 uploads under 10% mixed faults: one terminal record each, none RUNNING, no false ABORTED or NOT_FOUND', async () => {
  // Act
  const result = await runSoak({ uploads: 120, seed: 20261123, faultRate: 0.1 });
  console.log(JSON.stringify(result));

  // Assert
  expect(result.injected).toBeGreaterThan(20); // the faults really happened
  expect({ missing: result.missing, running: result.running, stillRunning: result.executionsStillRunning }).toEqual({
    missing: 0,
    running: 0,
    stillRunning: 0,
  });
  expect({ falseAborted: result.falseAborted, falseNotFound: result.falseNotFound, unexplained: result.unexplainedUploads }).toEqual({
    falseAborted: 0,
    falseNotFound: 0,
    unexplained: 0,
  });
  expect(Object.values(result.statuses).reduce((a, b) => a + b, 0)).toBe(120);
}, 180_000);

it('sweeps 150 uploads in lanes under the same faults: the sweep ends COMPLETED, every upload has its record, counters equal the records', async () => {
  // Act: lanes of about 40 uploads (the walk, the lanes' pages and their records all under the faults)
  const result = await runSweepSoak({ uploads: 150, seed: 2, faultRate: 0.1, laneUploads: 40 });
  console.log(JSON.stringify(result));

  // Assert
  expect(result.injected).toBeGreaterThan(20);
  expect(result.executionStatus).toBe('SUCCEEDED');
  expect(result.lanes).toBeGreaterThanOrEqual(3);
  expect({ missing: result.missing, falseAborted: result.falseAborted }).toEqual({ missing: 0, falseAborted: 0 });
  const by = (status: string) => result.statuses[status] ?? 0;
  expect(result.summary).toMatchObject({
    status: 'COMPLETED',
    found: 150,
    aborted: by('ABORTED'),
    notFound: by('NOT_FOUND'),
    partsRemain: by('PARTS_REMAIN'),
    failed: by('FAILED'),
    lostPages: 0,
  });
}, 180_000);
