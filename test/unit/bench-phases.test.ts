import { describe, expect, it } from 'vitest';
import type { HistoryEvent, LocalExecution } from '../../emulator/execution.ts';
import { PAGE_PHASES, pagePhaseMeter, phaseTable } from '../bench/phases.ts';

const PAGE = 'arn:aws:states:us-east-1:123456789012:express:mpu-reaper-sweep-page:p1:e1';
const STANDARD = 'arn:aws:states:us-east-1:123456789012:execution:mpu-reaper-sweep-target:t1';
const event = (type: string, name: string): HistoryEvent => ({
  id: 1,
  previousEventId: 0,
  timestamp: new Date(),
  type,
  ...(type.endsWith('Entered') ? { stateEnteredEventDetails: { name } } : { stateExitedEventDetails: { name } }),
});
const execution = (executionArn: string) => ({ executionArn }) as LocalExecution;

describe("the bench's phases of a sweep page", () => {
  it('are the Task and Map states of sweep-page, in its order', () => {
    expect(PAGE_PHASES).toEqual(['List a page', 'Abort each upload', 'Verify each upload', 'Abort again what remains', 'Verify again', 'Record the page']);
  });

  it("sum a state's time over the pages, and skip Map iterations' states and STANDARD executions", async () => {
    const meter = pagePhaseMeter();
    meter.watch(process.pid);
    for (let page = 0; page < 2; page += 1) {
      meter.onEvent(execution(PAGE), event('MapStateEntered', 'Abort each upload'));
      meter.onEvent(execution(PAGE), event('TaskStateEntered', 'Abort it'));
      await new Promise((resolve) => setTimeout(resolve, 30));
      meter.onEvent(execution(PAGE), event('TaskStateExited', 'Abort it'));
      meter.onEvent(execution(PAGE), event('MapStateExited', 'Abort each upload'));
    }
    meter.onEvent(execution(STANDARD), event('TaskStateEntered', 'List a page'));
    meter.onEvent(execution(STANDARD), event('TaskStateExited', 'List a page'));
    const phases = meter.phases();
    expect(phases.map((p) => [p.state, p.entered])).toEqual([['Abort each upload', 2]]);
    expect(phases[0].seconds).toBeGreaterThanOrEqual(0.055);
    expect(phases[0].dynamodbMotoCpuSeconds).toBe(0);
  });

  it('counts nothing before the moto_server processes are known', () => {
    const meter = pagePhaseMeter();
    meter.onEvent(execution(PAGE), event('TaskStateEntered', 'List a page'));
    meter.onEvent(execution(PAGE), event('TaskStateExited', 'List a page'));
    expect(meter.phases()).toEqual([]);
  });

  it('names what bounds each phase from the share of a core each process used', () => {
    const text = phaseTable(
      [
        { state: 'Abort each upload', entered: 4, seconds: 3, nodeCpuSeconds: 2.88, s3MotoCpuSeconds: 1.5, dynamodbMotoCpuSeconds: 0.03 },
        { state: 'Record the page', entered: 4, seconds: 3, nodeCpuSeconds: 2.1, s3MotoCpuSeconds: 0.1, dynamodbMotoCpuSeconds: 2.4 },
      ],
      12,
    );
    expect(text).toContain('| Abort each upload | 4 | 3 | 25 % | 96 % | 50 % | 1 % | the node process: runtime, Lambdas, proxies |');
    expect(text).toContain("| Record the page | 4 | 3 | 25 % | 70 % | 3 % | 80 % | moto_server's one core |");
  });
});
