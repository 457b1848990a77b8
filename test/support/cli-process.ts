/**
 * `npx mpu-reaper …` in a process of its own against an endpoint (the local stack's), as an operator runs it: the
 * integration tests' one way to run the real CLI. (test/support/cli.ts runs main() in-process with mocked clients.)
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/mpu-reaper.ts', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** its exit code and output; a non-zero exit is an answer, not an exception */
export function cliProcess(endpoint: string, args: string[]): Promise<CliRun> {
  const env = { ...process.env, AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}
