import { describe, expect, it } from 'vitest';
import { chartValues } from '../bench/chart.ts';
import { PROJECT, PROJECT_LEAN, ratios, speedTargets, speedTargetTable, type Row } from '../bench/report.ts';

/** a row of the bench's results: only what ratios, the ceilings and the chart read (1 CPU second per upload/s of speed) */
const row = (toolKey: Row['toolKey'], uploadsPerSecond: number, round?: number, n = 2000, cpuSeconds = 10): Row =>
  ({
    wallSeconds: n / uploadsPerSecond,
    cpu: { node: cpuSeconds, moto: 0 },
    tool: { project: PROJECT, projectLean: PROJECT_LEAN, boto3: 'boto3, 16 threads', rclone: 'rclone backend cleanup', awsCli: 'AWS CLI loop' }[toolKey],
    toolKey,
    n,
    latencyMs: 0,
    runLabel: n.toLocaleString('en-US'),
    uploadsPerSecond,
    round,
  }) as Row;

describe("the bench's ratios in race rounds", () => {
  // the machine's speed drifts: boto3 twice as fast in round 2 as in round 1, and so is the sweep
  const rows = [
    row('rclone', 400),
    row('boto3', 100, 1),
    row('project', 90, 1),
    row('projectLean', 120, 1),
    row('project', 180, 2),
    row('projectLean', 260, 2),
    row('boto3', 200, 2),
    row('projectLean', 130, 3),
    row('boto3', 100, 3),
    row('project', 110, 3),
  ];

  it('pairs each sweep with the boto3 run of its own round, and with the one rclone run', () => {
    const measured = ratios(rows).filter((x) => x.design === PROJECT && !x.round.startsWith('median'));
    expect(measured.map((x) => [x.round, x.vsBoto3, x.vsRclone])).toEqual([
      ['1', 0.9, 0.23],
      ['2', 0.9, 0.45],
      ['3', 1.1, 0.28],
    ]);
  });

  it("adds the median of each design's round ratios, not the ratio of its median speeds", () => {
    const medians = ratios(rows, 2).filter((x) => x.round.startsWith('median'));
    // the ceilings: boto3's 20, 10 and 20 s (rclone's 5 s) × 2 cores over the sweeps' 10 CPU seconds, their median
    const ceilings = { ceilingVsBoto3: 4, ceilingVsRclone: 1 };
    expect(medians).toEqual([
      { run: '2,000', round: 'median of 3', design: PROJECT, project: 110, vsBoto3: 0.9, vsRclone: 0.28, ...ceilings },
      { run: '2,000', round: 'median of 3', design: PROJECT_LEAN, project: 130, vsBoto3: 1.3, vsRclone: 0.33, ...ceilings },
    ]);
  });

  it('keeps a run outside any round paired with the only peer run at its N, and gives it no median', () => {
    const single = ratios([row('boto3', 50, undefined, 500), row('project', 40, undefined, 500), row('projectLean', 60, undefined, 500)]);
    expect(single.map((x) => [x.round, x.design, x.vsBoto3])).toEqual([
      ['—', PROJECT, 0.8],
      ['—', PROJECT_LEAN, 1.2],
    ]);
  });

  it('draws one bar per tool and N: the median of its rounds', () => {
    const bars = chartValues(rows);
    expect(bars.map((b) => [b.tool, b.uploadsPerSecond])).toEqual([
      ['rclone backend cleanup', 400],
      ['boto3, 16 threads', 100],
      [PROJECT, 110],
      [PROJECT_LEAN, 130],
    ]);
  });
});

describe("the bench's speed targets", () => {
  const at = { raceUploads: 2000, latencyUploads: 500, latencyMs: 30 };
  const latency = (toolKey: Row['toolKey'], uploadsPerSecond: number): Row => ({
    ...row(toolKey, uploadsPerSecond, undefined, 500),
    latencyMs: 30,
    runLabel: '500 +30 ms',
  });

  it('reads the median of the race rounds, and the one run under latency', () => {
    const rows = [
      ...[1, 2, 3].flatMap((r) => [row('boto3', 100, r), row('project', [90, 110, 120][r - 1], r), row('projectLean', [120, 140, 125][r - 1], r)]),
      latency('rclone', 30),
      latency('project', 100),
      latency('projectLean', 70),
    ];
    const targets = speedTargets(rows, at, 2);
    expect(targets.map((t) => [t.design, t.peer, t.ratio, t.met])).toEqual([
      [PROJECT, 'boto3', 1.1, true],
      [PROJECT_LEAN, 'boto3', 1.25, false],
      [PROJECT, 'rclone', 3.33, true],
      [PROJECT_LEAN, 'rclone', 2.33, false],
    ]);
    const text = speedTargetTable(targets);
    // boto3 takes 20 s a round; 10 CPU seconds over 2 cores is at least 5 s: at most 4 ×, so the miss is not the CPU's
    expect(text).toContain(`| 2,000 | ${PROJECT_LEAN} | boto3, 16 threads | ≥ 1.3 × | 1.25 × | 4 × | NOT MET |`);
    expect(text).toContain(`| 500 +30 ms | ${PROJECT} | rclone backend cleanup | ≥ 2.5 × | 3.33 × | 3.33 × | met |`);
  });

  it("names a miss that the design's CPU puts out of reach on the machine's cores", () => {
    // boto3: 2,000 uploads in 10 s; the sweeps use 12 and 8 CPU seconds: on 2 cores at least 6 and 4 s
    const rows = [row('boto3', 200, 1), row('project', 150, 1, 2000, 12), row('projectLean', 180, 1, 2000, 8)];
    const [measured, lean] = speedTargets(rows, at, 2);
    expect([measured.ratio, measured.ceiling, lean.ratio, lean.ceiling]).toEqual([0.75, 1.67, 0.9, 2.5]);
    const onOneCore = speedTargets(rows, at, 1);
    expect(onOneCore.slice(0, 2).map((t) => t.ceiling)).toEqual([0.83, 1.25]);
    const text = speedTargetTable(onOneCore.slice(0, 2));
    expect(text).toContain(`| 2,000 | ${PROJECT} | boto3, 16 threads | ≥ 1 × | 0.75 × | 0.83 × | NOT MET: above what its CPU allows |`);
    expect(text).toContain(`| 2,000 | ${PROJECT_LEAN} | boto3, 16 threads | ≥ 1.3 × | 0.9 × | 1.25 × | NOT MET: above what its CPU allows |`);
  });

  it('says "not run" where a peer could not run, rather than missed', () => {
    const [first] = speedTargets([row('project', 90, 1), row('projectLean', 120, 1)], at);
    expect([first.ratio, first.met]).toEqual([undefined, false]);
    expect(speedTargetTable([first])).toContain('| not run | — |');
  });
});
