/**
 * One project sweep of the bench in a node process of its own, as `npm start` runs the stack: its RSS and CPU are the
 * stack's alone, not the bench harness's (peers' proxies, the chart's modules, earlier runs). Prints the SweepRun as JSON on a line of its own.
 *
 *   node --expose-gc test/bench/sweep-process.ts '{"n":2000,"latencyMs":0,"measure":true}'
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runProjectSweep, type SweepRun } from './project.ts';

const RESULT = 'sweep result: ';

export type SweepOptions = Parameters<typeof runProjectSweep>[0];

/** runs runProjectSweep in a fresh node process (this file as its entry) and returns what it measured */
export async function runProjectSweepInItsOwnProcess(options: SweepOptions): Promise<SweepRun> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), JSON.stringify(options)], {
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'ERROR' },
  });
  // the stack's own log lines may share stdout: the result is the marked line
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT));
  if (!line) throw new Error(`the sweep process printed no result:\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice(RESULT.length)) as SweepRun;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const run = await runProjectSweep(JSON.parse(process.argv[2] ?? '{}') as SweepOptions);
  // exit once written: a handle the stack left open must not keep the bench waiting
  process.stdout.write(`\n${RESULT}${JSON.stringify(run)}\n`, () => process.exit(0));
}
