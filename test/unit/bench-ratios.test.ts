import { describe, expect, it } from 'vitest';
import { chartValues } from '../bench/chart.ts';
import { PROJECT, PROJECT_LEAN, ratios, speedTargets, speedTargetTable, type Row } from '../bench/report.ts';

/** a row of the bench's results: only what ratios and the chart read */
const row = (toolKey: Row['toolKey'], uploadsPerSecond: number, round?: number, n = 2000): Row =>
  ({
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
    const medians = ratios(rows).filter((x) => x.round.startsWith('median'));
    expect(medians).toEqual([
      { run: '2,000', round: 'median of 3', design: PROJECT, project: 110, vsBoto3: 0.9, vsRclone: 0.28 },
      { run: '2,000', round: 'median of 3', design: PROJECT_LEAN, project: 130, vsBoto3: 1.3, vsRclone: 0.33 },
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
    const targets = speedTargets(rows, at);
    expect(targets.map((t) => [t.design, t.peer, t.ratio, t.met])).toEqual([
      [PROJECT, 'boto3', 1.1, true],
      [PROJECT_LEAN, 'boto3', 1.25, false],
      [PROJECT, 'rclone', 3.33, true],
      [PROJECT_LEAN, 'rclone', 2.33, false],
    ]);
    const text = speedTargetTable(targets);
    expect(text).toContain(`| 2,000 | ${PROJECT_LEAN} | boto3, 16 threads | ≥ 1.3 × | 1.25 × | NOT MET |`);
    expect(text).toContain(`| 500 +30 ms | ${PROJECT} | rclone backend cleanup | ≥ 2.5 × | 3.33 × | met |`);
  });

  it('says "not run" where a peer could not run, rather than missed', () => {
    const [first] = speedTargets([row('project', 90, 1), row('projectLean', 120, 1)], at);
    expect([first.ratio, first.met]).toEqual([undefined, false]);
    expect(speedTargetTable([first])).toContain('| not run | — |');
  });
});
