import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface LintRun {
  status: number | null;
  stdout: string;
  stderr: string;
  error?: NodeJS.ErrnoException;
}

/** how to get cfn-lint when it is not on PATH: the template tests fail with this rather than skip the lint */
export const CFN_LINT_MISSING = 'cfn-lint is not installed: the packaged templates cannot be linted (pip install cfn-lint)';

/** AWS's cfn-lint (JSON findings) on the template osls packaged into `dir` */
export function cfnLint(dir: string): Promise<LintRun> {
  return new Promise((resolvePromise) => {
    const child = spawn('cfn-lint', ['--format', 'json', '--', join(dir, 'cloudformation-template-update-stack.json')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    let stdout = '';
    let stderr = '';
    let error: NodeJS.ErrnoException | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', (e) => {
      error = e;
    });
    child.on('close', (status) => resolvePromise({ status, stdout, stderr, error }));
  });
}
