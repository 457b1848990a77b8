/**
 * A bench step in a node process of its own, so the process that measures the stack's memory keeps nothing of it: the
 * parent runs a module with JSON arguments; the module, run as an entry, answers with answerParent. The answer is a
 * marked line, so log lines on the same stdout do not matter.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const RESULT = 'bench result: ';

/** runs `moduleUrl` (a file that calls answerParent when it is the entry) with `args` and returns its answer */
export async function inItsOwnProcess<T>(moduleUrl: string, args: unknown, nodeOptions: string[] = []): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeOptions, fileURLToPath(moduleUrl), JSON.stringify(args)], {
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'ERROR' },
  });
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT));
  if (!line) throw new Error(`${fileURLToPath(moduleUrl)} printed no result:\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice(RESULT.length)) as T;
}

/** when `moduleUrl` is this process's entry: runs `work` on the parent's arguments, prints the answer, exits */
export async function answerParent<A, T>(moduleUrl: string, work: (args: A) => Promise<T>): Promise<void> {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  const answer = await work(JSON.parse(process.argv[2] ?? '{}') as A);
  // exit once written: a handle left open must not keep the bench waiting
  process.stdout.write(`\n${RESULT}${JSON.stringify(answer)}\n`, () => process.exit(0));
}
