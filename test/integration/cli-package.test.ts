/**
 * The CLI as a package of its own (tools/pack-cli.ts): a real `npm pack`, installed offline into an empty project, run
 * by every Node of 20 or later on this machine (the one running the tests, and each other `node` on PATH) with
 * node_modules/.bin/mpu-reaper: its usage, its version, and commands against moto_server through the bundled AWS SDK;
 * and the same for the tarball a root `npm pack` makes (its prepack builds the same bundle).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, CLI_BIN, packCli } from '../../tools/pack-cli.ts';
import { startMoto, type MotoServer } from '../../emulator/moto.ts';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { ...options, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** each Node of 20 or later on this machine: the one running the tests, then every other `node` on PATH (one per major) */
async function nodeRuntimes(): Promise<Array<{ node: string; major: number }>> {
  const candidates = [process.execPath, ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'node'))];
  const found = new Map<number, string>();
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const { code, stdout } = await run(realpathSync(candidate), ['--version'], { cwd: tmpdir() });
    const major = Number(/^v(\d+)\./.exec(stdout)?.[1]);
    if (code === 0 && major >= 20 && !found.has(major)) found.set(major, realpathSync(candidate));
  }
  return [...found].map(([major, node]) => ({ node, major }));
}

const ROOT = join(import.meta.dirname, '../..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
let work: string;
let tarball: string;
let moto: MotoServer;
let runtimes: Array<{ node: string; major: number }>;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mpu-reaper-pack-'));
  await buildCli(join(work, 'package'));
  tarball = packCli(join(work, 'package'), work);
  [moto, runtimes] = await Promise.all([startMoto(), nodeRuntimes()]);
}, 60_000);
afterAll(async () => {
  await moto?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed CLI', () => {
  it('is built JavaScript for Node 20 and later, without dependencies, holding only what the CLI needs', async () => {
    // Act
    const listing = await run('tar', ['tzf', tarball], { cwd: work });
    const manifest = JSON.parse(readFileSync(join(work, 'package/package.json'), 'utf8'));

    // Assert
    expect(listing.stdout.trim().split('\n').sort()).toEqual(
      [
        'README.md',
        CLI_BIN,
        'package.json',
        ...['abort-after-deadline', 'abort-upload', 'sweep-page', 'sweep-target', 'sweep-uploads'].map((m) => `statemachines/${m}.asl.json`),
      ]
        .map((f) => `package/${f}`)
        .sort(),
    );
    expect(manifest).toMatchObject({ name: 'mpu-reaper', version: VERSION, type: 'module', bin: { 'mpu-reaper': CLI_BIN }, engines: { node: '>=20' } });
    expect(manifest.dependencies).toBeUndefined();
    expect(readFileSync(join(work, 'package', CLI_BIN), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('installs offline into an empty project and runs on every Node of 20 or later here, without EBADENGINE', async () => {
    await tryOnEveryNode(tarball, 'packed');
  }, 120_000);

  it('is what a root npm pack ships too: the same bundle, no dependencies to install, the same commands', async () => {
    // Act: the root's prepack builds the bundle into dist/cli, package.json `files` and bin/mpu-reaper.js ship it
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT });

    // Assert
    expect(packed, packed.stderr).toMatchObject({ code: 0 });
    const [{ filename, files }] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    expect(files.map((f) => f.path).sort()).toEqual(
      [
        'README.md',
        'bin/mpu-reaper.js',
        'package.json',
        `dist/cli/${CLI_BIN}`,
        ...['abort-after-deadline', 'abort-upload', 'sweep-page', 'sweep-target', 'sweep-uploads'].map((m) => `dist/cli/statemachines/${m}.asl.json`),
      ].sort(),
    );
    await tryOnEveryNode(join(work, filename), 'root');
  }, 180_000);
});

/** installs the tarball offline into an empty project under each Node of 20 or later, and runs the CLI's commands */
async function tryOnEveryNode(tarball: string, label: string): Promise<void> {
  expect(runtimes.length).toBeGreaterThan(0);
  for (const { node, major } of runtimes) {
    // Arrange: npm itself runs on this Node (its engine check is of the Node it runs on)
    const project = join(work, `${label}-node-${major}`);
    rmSync(project, { recursive: true, force: true });
    await run('mkdir', ['-p', project], { cwd: work });
    writeFileSync(join(project, 'package.json'), '{ "name": "try-mpu-reaper", "private": true }\n');
    const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH}` };
    const awsEnv = { ...env, AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
    const bin = join(project, 'node_modules/.bin/mpu-reaper');
    const bucket = `${label}-cli-${major}`;

    // Act
    const install = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: project, env });
    const help = await run(node, [bin, '--help'], { cwd: project, env });
    const sweepHelp = await run(node, [bin, 'sweep', '--help'], { cwd: project, env });
    const version = await run(node, [bin, '--version'], { cwd: project, env });
    const seed = await run(node, [bin, 'local', 'seed', '--bucket', bucket, '--uploads', '3', '--json'], { cwd: project, env: awsEnv });
    const scan = await run(node, [bin, 'scan', '--bucket', bucket, '--json'], { cwd: project, env: awsEnv });
    const deploy = await run(node, [bin, 'local', 'deploy', '--table', `${label}-${major}`, '--json'], { cwd: project, env: awsEnv });

    // Assert
    expect(install, `npm install on Node ${major}`).toMatchObject({ code: 0 });
    expect(install.stderr).not.toContain('EBADENGINE');
    expect(help, `--help on Node ${major}`).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: mpu-reaper <command> \[options\]\n/) });
    expect(sweepHelp).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: mpu-reaper sweep --bucket B/) });
    expect(version).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
    expect(seed).toMatchObject({ code: 0, stderr: '' }); // no warning of the bundled SDK on any supported Node
    expect(JSON.parse(seed.stdout)).toMatchObject({ bucket, uploads: 3 });
    expect(scan, scan.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(scan.stdout).buckets).toEqual([expect.objectContaining({ bucket, uploads: 3 })]);
    // the state machines' definitions travel in the package: local deploy reads them
    expect(deploy, deploy.stderr).toMatchObject({ code: 0 });
  }
}
