/**
 * The packaged `test` stage, shared by every template test file of a run: osls packages each variant at most once
 * per `vitest run`, on first demand, and every worker reads the same directory.
 *
 * How it is shared: the globalSetup (./global-setup.ts) makes one empty directory per run and hands its path to
 * the workers (`provide`/`inject`); it removes it when the run ends. The first worker that needs a variant takes a
 * lock in that directory (an atomic mkdir), packages into `<run>/<variant>/` and writes `<run>/<variant>.json`
 * (its time, or its error); the others poll for that file. One lock for all variants: osls and serverless-esbuild
 * share the project's .esbuild/, so two packages must never run at once. A lock whose holder process is gone is
 * broken. Nothing outlives the run, so no package is ever stale; a test file that needs no package never asks.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import { intrinsicsOf, type Resolve } from './intrinsics.ts';
import { REGION, ROOT, STAGE, type Resource, type Template } from './stack.ts';

const PACKAGE_TIMEOUT_MS = 120_000;
const zipStaging = createRequire(import.meta.url)('../../../plugins/zip-staging.cjs') as { stagingName(pid: number): RegExp };

/** the second variant: the params that switch the deadline rule and the sweep schedule on */
export const SWEEP_SCHEDULE = 'rate(2 hours)';
/** an allowlist as an operator types it: one exact name, one prefix */
export const CLI_ALLOWLIST = 'my-logs,my-data-*';
/** two principals that may put requests on the stack's bus */
export const CLI_EVENT_PUTTERS = 'arn:aws:iam::123456789012:role/ops,arn:aws:iam::123456789012:user/alice';
/** two KMS key ARNs, as the command line gives them */
export const CLI_KMS_KEYS = [
  'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  'arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab',
].join(',');
export const VARIANTS = {
  /** the `test` stage as serverless.yml defines it */
  default: [] as string[],
  /** the same with the stage params that switch the deadline rule, the sweep schedule and IfMatchInitiatedTime on, and the default bus */
  switchedOn: ['--param=deadlines=true', `--param=sweepSchedule=${SWEEP_SCHEDULE}`, '--param=ifMatchInitiatedTime=true', '--param=eventBus=default'],
  /** the allowlist given on the command line instead of the stage's params; KMS keys and event putters named; minimal monitoring; records kept; no debt scan */
  cliAllowlist: [
    `--param=allowedBuckets=${CLI_ALLOWLIST}`,
    `--param=kmsKeyArns=${CLI_KMS_KEYS}`,
    `--param=eventPutters=${CLI_EVENT_PUTTERS}`,
    '--param=monitoring=minimal',
    '--param=RecordRetentionSeconds=0',
    '--param=debtScanSchedule=off',
  ],
};
export type Variant = keyof typeof VARIANTS;
/** the longest a template file may wait for its package: every variant built one after the other, and a margin */
export const PACKAGE_WAIT_MS = Object.keys(VARIANTS).length * PACKAGE_TIMEOUT_MS + 30_000;

export interface PackagedStack {
  /** the directory osls packaged into: the template and one zip per function */
  dir: string;
  /** the zip staging directories the packaging left in the temp directory */
  stagingLeft: string[];
  template: Template;
  /** evaluates this template's intrinsic functions (./intrinsics.ts) */
  resolve: Resolve;
  ofType: (type: string) => Array<[string, Resource]>;
}

/**
 * Runs osls. After a failed build (an esbuild error such as an unresolvable import) osls prints its "Error:"
 * report and then does not exit: the process is ended a moment after that report, or at the timeout.
 */
export function runOsls(args: string[]): Promise<{ status: number | null; output: string; failure?: string; pid?: number }> {
  return new Promise((resolvePromise) => {
    const child = spawn('osls', args, {
      cwd: ROOT,
      env: { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}${delimiter}${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let failure: string | undefined;
    const stop = (reason: string) => {
      failure ??= reason;
      child.kill('SIGTERM');
    };
    const timeout = setTimeout(() => stop(`no exit after ${PACKAGE_TIMEOUT_MS} ms`), PACKAGE_TIMEOUT_MS);
    let reported: NodeJS.Timeout | undefined;
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (!reported && /^Error:\s*$/m.test(output)) reported = setTimeout(() => stop('osls reported an error and did not exit'), 3_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => stop(error.message));
    child.on('close', (status) => {
      clearTimeout(timeout);
      clearTimeout(reported);
      resolvePromise({ status, output, failure, pid: child.pid });
    });
  });
}

/** the zip staging directories osls's process `pid` left in the temp directory (plugins/zip-staging.cjs removes them) */
const stagingLeft = (pid: number | undefined) => (pid === undefined ? [] : readdirSync(tmpdir()).filter((name) => zipStaging.stagingName(pid).test(name)));

/** packages the `test` stage into `dir`; throws osls's last lines when it fails */
async function packageStage(dir: string, extraArgs: string[]): Promise<{ ms: number; stagingLeft: string[] }> {
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const result = await runOsls(['package', '--stage', STAGE, '--region', REGION, '--package', dir, ...extraArgs]);
  const ms = Date.now() - started;
  const output = result.output.trim().split('\n').slice(-40).join('\n');
  const what = ['osls package', ...extraArgs].join(' ');
  if (result.failure) throw new Error(`${what} failed (${result.failure}, ${ms} ms):\n${output}`);
  if (result.status !== 0) throw new Error(`${what} exited ${result.status}:\n${output}`);
  console.info(`${what} --stage ${STAGE}: ${ms} ms`);
  return { ms, stagingLeft: stagingLeft(result.pid) };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** takes the run's packaging lock (breaking it if its holder is gone); false when another live process holds it */
function tryLock(lock: string): boolean {
  try {
    mkdirSync(lock);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    let holder: number;
    try {
      holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {
      return false; // just taken: its holder has not written its pid yet
    }
    if (alive(holder)) return false;
    rmSync(lock, { recursive: true, force: true });
    return tryLock(lock);
  }
  writeFileSync(join(lock, 'pid'), String(process.pid));
  return true;
}

function runDirectory(): string {
  const dir = inject('templatePackages');
  if (!dir)
    throw new Error('no shared package directory: the template tests run through vitest.config.ts (its globalSetup test/support/template/global-setup.ts)');
  return dir;
}

/** waits until the variant is packaged in this run, packaging it here if no other worker has; returns its directory */
async function packaged(variant: Variant): Promise<{ dir: string; stagingLeft: string[] }> {
  const run = runDirectory();
  const dir = join(run, variant);
  const outcome = join(run, `${variant}.json`);
  const lock = join(run, 'lock');
  const deadline = Date.now() + PACKAGE_WAIT_MS;
  for (;;) {
    if (existsSync(outcome)) {
      const { error, stagingLeft = [] } = JSON.parse(readFileSync(outcome, 'utf8')) as { ms?: number; stagingLeft?: string[]; error?: string };
      if (error) throw new Error(`packaging the ${variant} variant failed (in another test file, reported once):\n${error}`);
      return { dir, stagingLeft };
    }
    if (tryLock(lock)) {
      try {
        if (!existsSync(outcome)) {
          let result: { ms?: number; stagingLeft?: string[]; error?: string };
          try {
            result = await packageStage(dir, VARIANTS[variant]);
          } catch (error) {
            result = { error: (error as Error).message };
          }
          writeFileSync(`${outcome}.tmp`, JSON.stringify(result));
          renameSync(`${outcome}.tmp`, outcome);
        }
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
      continue;
    }
    if (Date.now() > deadline) throw new Error(`no ${variant} package after ${PACKAGE_WAIT_MS} ms (${lock} held by another worker)`);
    await sleep(250);
  }
}

const stacks = new Map<Variant, Promise<PackagedStack>>();

/**
 * The packaged stack of a variant (for beforeAll, with PACKAGE_WAIT_MS). The default variant is always packaged
 * first, so that files needing only it never wait for the other.
 */
export function packagedStack(variant: Variant = 'default'): Promise<PackagedStack> {
  let stack = stacks.get(variant);
  if (!stack) {
    stack = (async () => {
      if (variant !== 'default') await packagedStack('default');
      const { dir, stagingLeft } = await packaged(variant);
      const template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
      return {
        dir,
        stagingLeft,
        template,
        resolve: intrinsicsOf(template),
        ofType: (type: string) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type),
      };
    })();
    stacks.set(variant, stack);
  }
  return stack;
}
