/**
 * moto_server as the stack runs it, for a test file: its own server, and Python with the stack's patches
 * (emulator/python/sitecustomize.py). Apart from workflow.ts, which the bench's processes import without vitest.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { MOTO_PYTHON_PATH, startMoto, type MotoServer } from '../../emulator/moto.ts';

/** one moto_server for the test file that calls it: started before its tests, stopped after them */
export function motoForFile(): { readonly server: MotoServer } {
  const handle = {} as { server: MotoServer };
  beforeAll(async () => {
    handle.server = await startMoto();
  }, 60_000);
  afterAll(async () => {
    await handle.server?.stop();
  });
  return handle;
}

/** what a Python program prints (trimmed), run with the folder of the stack's sitecustomize.py on its path */
export const pythonWithStackPatches = (code: string): string =>
  execFileSync('python3', ['-c', code], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: MOTO_PYTHON_PATH } }).trim();
