/** plugins/zip-staging.cjs: the zip staging directories serverless-esbuild leaves are removed, this process's only. */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const plugin = createRequire(import.meta.url)('../../plugins/zip-staging.cjs') as {
  removeStaging(pid?: number, dir?: string): string[];
};

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** a staging directory as serverless-esbuild 1.57.2 leaves it: the function's bundle copied in */
function staged(name: string): string {
  mkdirSync(join(dir, name, 'functions'), { recursive: true });
  writeFileSync(join(dir, name, 'functions', 'sweep-record.mjs'), 'export const handler = () => {};');
  return name;
}

describe('zip staging plugin', () => {
  it("removes the directories named with this process's pid, full as they are left, and nothing else", () => {
    dir = mkdtempSync(join(tmpdir(), 'zip-staging-test-'));
    const ours = [staged(`sweepRecord-${process.pid}-1796655887382-82a5df17`), staged(`get-abort-${process.pid}-1796655887390-0a1b2c3d`)];
    const another = staged(`sweepRecord-${process.pid + 1}-1796655887382-82a5df17`);
    const unlike = [staged(`sweepRecord-${process.pid}-17966558873-82a5df17`), staged(`mpu-reaper-packages-${process.pid}`)];
    writeFileSync(join(dir, `notes-${process.pid}-1796655887382-82a5df17`), 'a file, not a staging directory');

    expect(plugin.removeStaging(process.pid, dir).sort()).toEqual([...ours].sort());
    for (const name of ours) expect(existsSync(join(dir, name))).toBe(false);
    for (const name of [another, ...unlike, `notes-${process.pid}-1796655887382-82a5df17`]) expect(existsSync(join(dir, name))).toBe(true);
  });
});
