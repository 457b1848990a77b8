/**
 * One project sweep of the bench in a node process of its own, as `npm start` runs the stack: its RSS and CPU are the
 * stack's alone, not the bench harness's (peers' proxies, the chart's modules, earlier runs).
 */
import { answerParent, inItsOwnProcess } from './own-process.ts';
import { runProjectSweep, type SweepRun } from './project.ts';

export type SweepOptions = Parameters<typeof runProjectSweep>[0];

/** runs runProjectSweep in a fresh node process (with --expose-gc, for the memory after the sweep) */
export const runProjectSweepInItsOwnProcess = (options: SweepOptions): Promise<SweepRun> =>
  inItsOwnProcess<SweepRun>(import.meta.url, options, ['--expose-gc']);

await answerParent(import.meta.url, runProjectSweep);
