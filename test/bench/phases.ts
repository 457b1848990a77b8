/**
 * Where a sweep's time goes, phase by phase: each Task and Map state of sweep-page (List a page, Abort each upload, …)
 * summed over the pages, with the CPU each process of the stack used meanwhile, and what bounds it. Exact while one page
 * execution runs at a time (one lane: the 2,000-upload sweep); page executions side by side share the CPU.
 */
import page from '../../statemachines/sweep-page.asl.json' with { type: 'json' };
import type { HistoryEvent, LocalExecution } from '../../emulator/execution.ts';
import { cpuSecondsOf, round } from './measure.ts';
import { bound, table } from './report.ts';

/** the states of a page that take time; the Choice, Pass and Wait states between them take none here (waits are 0) */
export const PAGE_PHASES: readonly string[] = Object.entries(page.States as Record<string, { Type: string }>)
  .filter(([, state]) => state.Type === 'Task' || state.Type === 'Map')
  .map(([name]) => name);

export interface PagePhase {
  state: string;
  /** how many times a page entered it */
  entered: number;
  seconds: number;
  nodeCpuSeconds: number;
  s3MotoCpuSeconds: number;
  dynamodbMotoCpuSeconds: number;
}

interface Snapshot {
  at: number;
  node: number;
  s3: number;
  dynamodb: number;
}

/** follows the page executions' states through the runtime's onExecutionEvent; the moto pids are given once known */
export function pagePhaseMeter() {
  let pids: { s3: number; dynamodb?: number } | undefined;
  const open = new Map<string, Snapshot>();
  const phases = new Map<string, PagePhase>();
  const snapshot = (): Snapshot => {
    const { user, system } = process.cpuUsage();
    const s3 = cpuSecondsOf(pids!.s3) ?? 0;
    return { at: performance.now(), node: (user + system) / 1e6, s3, dynamodb: pids!.dynamodb === undefined ? 0 : (cpuSecondsOf(pids!.dynamodb) ?? 0) };
  };
  return {
    watch(s3: number, dynamodb?: number) {
      pids = { s3, ...(dynamodb !== undefined && dynamodb !== s3 ? { dynamodb } : {}) };
    },
    onEvent(execution: LocalExecution, event: HistoryEvent) {
      const details = (event.stateEnteredEventDetails ?? event.stateExitedEventDetails) as { name?: string } | undefined;
      if (!pids || !details?.name || !PAGE_PHASES.includes(details.name) || !execution.executionArn.includes(':express:')) return;
      const key = `${execution.executionArn}\n${details.name}`;
      if (event.type.endsWith('StateEntered')) {
        open.set(key, snapshot());
        return;
      }
      const from = open.get(key);
      if (!from || !event.type.endsWith('StateExited')) return;
      open.delete(key);
      const to = snapshot();
      const phase = phases.get(details.name) ?? {
        state: details.name,
        entered: 0,
        seconds: 0,
        nodeCpuSeconds: 0,
        s3MotoCpuSeconds: 0,
        dynamodbMotoCpuSeconds: 0,
      };
      phase.entered += 1;
      phase.seconds += (to.at - from.at) / 1000;
      phase.nodeCpuSeconds += to.node - from.node;
      phase.s3MotoCpuSeconds += to.s3 - from.s3;
      phase.dynamodbMotoCpuSeconds += to.dynamodb - from.dynamodb;
      phases.set(details.name, phase);
    },
    /** the phases in the order of the state machine */
    phases: (): PagePhase[] => PAGE_PHASES.flatMap((state) => phases.get(state) ?? []),
  };
}

/** one row per phase: its time, its share of the sweep, each process's share of a core meanwhile, what bounds it */
export function phaseTable(phases: PagePhase[], wallSeconds: number): string {
  const busy = (cpu: number, seconds: number) => `${Math.round((cpu / seconds) * 100)} %`;
  const rows = phases.map((p) => [
    p.state,
    p.entered,
    round(p.seconds, 2),
    `${Math.round((p.seconds / wallSeconds) * 100)} %`,
    busy(p.nodeCpuSeconds, p.seconds),
    busy(p.s3MotoCpuSeconds, p.seconds),
    busy(p.dynamodbMotoCpuSeconds, p.seconds),
    bound(p.seconds, { node: p.nodeCpuSeconds, moto: p.s3MotoCpuSeconds, dynamodbMoto: p.dynamodbMotoCpuSeconds }, 0, 0).replace(/ \(.*\)$/, ''),
  ]);
  return table(['state of sweep-page', 'entered', 's', 'of the sweep', 'node busy', 'moto S3 busy', 'moto DynamoDB busy', 'bound by'], rows);
}
