/**
 * vitest globalSetup: one empty directory per run (a new one per rerun in watch mode) in which the template test
 * files share their packaged stacks (./package.ts). Cheap: it packages nothing, so runs without template tests pay
 * nothing. Removed when the run ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** the run's directory of packaged stacks (test/support/template/package.ts) */
    templatePackages: string;
  }
}

export default function setup(project: TestProject): () => void {
  let dir = '';
  const fresh = () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(join(tmpdir(), 'mpu-reaper-packages-'));
    project.provide('templatePackages', dir);
  };
  fresh();
  project.onTestsRerun(fresh);
  return () => rmSync(dir, { recursive: true, force: true });
}
