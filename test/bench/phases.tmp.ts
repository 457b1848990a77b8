import { startLocalStack } from '../../emulator/stack.ts';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { seedUploadsInItsOwnProcess } from './seed.ts';
import { cpuSecondsOf, motoPid } from './measure.ts';
const pids: number[] = [];
const cpu = () => { const u = process.cpuUsage(); return [(u.user + u.system) / 1e6, ...pids.map((p) => cpuSecondsOf(p) ?? 0)].map((x) => x.toFixed(2)).join('/'); };
const n = Number(process.argv[2] ?? 2000);
const measure = process.argv[3] !== 'lean';
const t0 = { v: 0 };
const lines: string[] = [];
const names: Record<string, number> = {};
const stack = await startLocalStack({
  waitTimeOverrides: { 'Wait for in-flight parts': 0, 'Wait for in-flight parts again': 0 },
  settings: { SweepActiveWithin: 0 },
  onExecutionEvent: (execution, event) => {
    if (!event.type.endsWith('StateEntered') && !event.type.startsWith('Execution')) return;
    const name = (event as any).stateEnteredEventDetails?.name ?? (event as any).name ?? '';
    if (/: /.test(String(name))) names[name] = (names[name] ?? 0) + 1;
    if (/Map|Task|Wait|Execution/.test(event.type) && !/ it/.test(String(name)))
      lines.push(`${((performance.now() - t0.v) / 1000).toFixed(2)} ${cpu()} ${execution.executionArn.split(':').slice(-2).join(':')} ${event.type} ${name}`);
  },
  motoProcesses: 2,
});
pids.push(motoPid(stack.moto.port), motoPid(stack.dynamodbMoto.port));
await seedUploadsInItsOwnProcess(stack.moto.endpoint, 'bench-b1', n);
const sfn = new SFNClient({ endpoint: stack.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'b', secretAccessKey: 'b' } });
t0.v = performance.now();
const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: stack.stateMachineArns.sweepUploads, name: 'x', input: JSON.stringify({ targets: [{ bucket: 'bench-b1', olderThan: '1d' }], measure }) }));
await stack.runtime.waitForExecution(executionArn!);
console.log(lines.join('\n'));
console.log(JSON.stringify(names));
console.log('wall', (performance.now() - t0.v) / 1000);
await stack.stop?.();
process.exit(0);
