import { describe, expect, it } from 'vitest';
import { motoProcessesTable, stackMemory, stackMemoryTable, type ArrangementRun } from '../bench/moto-processes.ts';
import type { MemorySample } from '../bench/measure.ts';
import type { SweepRun } from '../bench/project.ts';
import { bound } from '../bench/report.ts';

const sample = (nodeMb: number, motoMbs: number[]): MemorySample => ({
  atSeconds: 0,
  nodeMb,
  heapMb: 20,
  heapTotalMb: 40,
  externalMb: 5,
  motoMb: motoMbs.reduce((a, b) => a + b, 0),
  motoMbs,
});

/** a sweep's memory: before, the samples during it (their peak), and after the idle time */
function run(before: MemorySample, during: MemorySample[], after: MemorySample): SweepRun {
  const peak = (pick: (s: MemorySample) => number) => Math.max(...[before, ...during].map(pick));
  return {
    n: 20000,
    memory: {
      fresh: { nodeMb: 0, motoMb: 0 },
      before,
      peak: { nodeMb: peak((s) => s.nodeMb), motoMb: peak((s) => s.motoMb), stackMb: peak((s) => s.nodeMb + s.motoMb) },
      after,
      samples: [before, ...during],
      afterSeconds: 60,
    },
  } as SweepRun;
}

describe("the bench's memory target for the whole stack", () => {
  it('is met under 600 MB at the peak and back within 50 MB after', () => {
    const m = stackMemory(run(sample(150, [200, 100]), [sample(250, [200, 120])], sample(160, [190, 130])));
    expect(m).toEqual({ n: 20000, beforeMb: 450, peakMb: 570, afterMb: 480, afterSeconds: 60, ok: true });
  });

  it('is missed at a peak of 600 MB, or 51 MB more after', () => {
    expect(stackMemory(run(sample(150, [200, 100]), [sample(280, [200, 120])], sample(150, [200, 100]))).ok).toBe(false);
    expect(stackMemory(run(sample(150, [200, 100]), [sample(160, [200, 100])], sample(201, [200, 100]))).ok).toBe(false);
  });

  it("names each process at the stack's peak", () => {
    const text = stackMemoryTable(run(sample(150, [200, 100]), [sample(250, [210, 120]), sample(240, [200, 110])], sample(160, [190, 130])));
    expect(text).toContain("| at the whole stack's peak | 250 MB (V8 heap 20 MB of 40 MB, external 5 MB) | 210 MB | 120 MB | 580 MB |");
    expect(text).toContain('met (peak 580 MB, +30 MB after)');
  });
});

describe('two moto_server processes in the bench', () => {
  it('bound() names the busier moto_server', () => {
    expect(bound(10, { node: 2, moto: 3, dynamodbMoto: 8 }, 1000, 0)).toBe("moto_server's one core (moto S3 30%, moto DynamoDB 80%, node 20% of a core)");
    expect(bound(10, { node: 2, moto: 3 }, 1000, 0)).toBe('no single resource (moto 30%, node 20% of a core)');
  });

  it('the comparison lists every run, then the medians of each arrangement', () => {
    const r = (motoProcesses: 1 | 2, round: number, wallSeconds: number): ArrangementRun => ({
      motoProcesses,
      round,
      n: 2000,
      wallSeconds,
      uploadsPerSecond: 2000 / wallSeconds,
      s3MotoBusy: 50,
      dynamodbMotoBusy: motoProcesses === 2 ? 10 : undefined,
      nodeBusy: 40,
      motoCpuMsPerUpload: 12,
      verified: true,
      recorded: true,
    });
    const lines = motoProcessesTable([r(1, 1, 40), r(2, 1, 30), r(1, 2, 50), r(2, 2, 20)]).split('\n');
    expect(lines).toHaveLength(2 + 4 + 2);
    expect(lines[6]).toContain('| median | one moto_server (S3 + DynamoDB) | 2,000 | 45 |');
    expect(lines[7]).toContain('| median | two moto_servers (S3; DynamoDB) | 2,000 | 25 |');
  });
});
