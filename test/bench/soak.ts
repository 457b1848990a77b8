/**
 * npm run soak: 1,000 uploads (SOAK_UPLOADS) aborted through the local API under 10% mixed faults (SOAK_FAULT_RATE), seeded
 * (SOAK_SEED); prints the counts and writes them to test/bench/results/soak.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { runSoak } from '../support/soak.ts';

const uploads = Number(process.env.SOAK_UPLOADS ?? 1000);
const faultRate = Number(process.env.SOAK_FAULT_RATE ?? 0.1);
const seed = Number(process.env.SOAK_SEED ?? 20261123);
const result = await runSoak({ uploads, seed, faultRate, log: (line) => process.stdout.write(`${line}\n`) });
const rows: Array<[string, number | string]> = [
  ['uploads', result.uploads],
  ...Object.entries(result.statuses).map(([status, n]): [string, number] => [`records ${status}`, n]),
  ['no record', result.missing],
  ['still RUNNING', result.running],
  ['false ABORTED (upload still listed)', result.falseAborted],
  ['false NOT_FOUND', result.falseNotFound],
  ['upload left without a record saying so', result.unexplainedUploads],
  ['executions still running', result.executionsStillRunning],
  ['faults injected', result.injected],
  ['POST retries by the client', result.postRetries],
  ['seconds', result.seconds],
];
for (const [name, value] of rows) process.stdout.write(`${name.padEnd(42)} ${value}\n`);
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(new URL('results/soak.json', import.meta.url), `${JSON.stringify({ seed, faultRate, ...result }, null, 2)}\n`);
const clean = result.missing + result.running + result.falseAborted + result.falseNotFound + result.unexplainedUploads + result.executionsStillRunning === 0;
process.exitCode = clean ? 0 : 1;
