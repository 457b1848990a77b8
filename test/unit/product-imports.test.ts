/**
 * The product (functions/, lib/, plugins/, bin/mpu-reaper.ts, serverless.yml's handlers and plugins) never imports
 * the local emulator (emulator/, the workspace package @s3-mpu-reaper/local-aws): not statically, not with a dynamic
 * import(), not with require(). The emulator imports the product, by its package name only (s3-mpu-reaper/lib/…, the
 * root package.json's exports), never by a relative path out of emulator/. The other way round would put the emulator
 * into a Lambda bundle or make the CLI depend on the emulator's dependencies; a relative path would tie the emulator to
 * where the product's files sit.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EMULATOR_DIR = join(ROOT, 'emulator') + sep;
const EMULATOR_PACKAGE = JSON.parse(readFileSync(join(EMULATOR_DIR, 'package.json'), 'utf8')).name as string;
const PRODUCT_PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).name as string;

const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : walk(path);
    return SOURCE.test(entry.name) ? [path] : [];
  });
}

/** The product's source files: what is deployed, and the CLI. */
function productFiles(): string[] {
  return [...walk(join(ROOT, 'functions')), ...walk(join(ROOT, 'lib')), ...walk(join(ROOT, 'plugins')), join(ROOT, 'bin', 'mpu-reaper.ts')];
}

/**
 * Every module specifier of a file: `import … from`, `export … from`, a bare `import '…'`, `import('…')`,
 * `require('…')`, `createRequire(…)('…')`, `import.meta.resolve('…')`, and `new URL('…', import.meta.url)` (a file
 * loaded or read by path).
 */
function specifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"`]([^'"`]+)['"`]/g,
    /\brequire\s*\(\s*['"`]([^'"`]+)['"`]/g,
    /\bcreateRequire\s*\([^)]*\)\s*\(\s*['"`]([^'"`]+)['"`]/g,
    /\bimport\.meta\.resolve\s*\(\s*['"`]([^'"`]+)['"`]/g,
    /\bnew\s+URL\s*\(\s*['"`]([^'"`]+)['"`]\s*,\s*import\.meta\.url/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]!));
}

/** Whether a specifier, seen from `file`, names the emulator. */
function reachesEmulator(file: string, specifier: string): boolean {
  if (specifier === EMULATOR_PACKAGE || specifier.startsWith(`${EMULATOR_PACKAGE}/`)) return true;
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) return false;
  const target = resolve(dirname(file), specifier);
  return target === EMULATOR_DIR.slice(0, -1) || target.startsWith(EMULATOR_DIR);
}

describe('product code does not import the local emulator', () => {
  it('finds every kind of import (the scan itself)', () => {
    const source = [
      "import { a } from '../../emulator/a.ts';",
      "import type { B } from '../../emulator/b.ts';",
      "export { c } from '../../emulator/c.ts';",
      "import '../../emulator/d.ts';",
      "const { e } = await import('../../emulator/e.ts');",
      "const f = require('../../emulator/f.cjs');",
      "const g = new URL('../../emulator/g.ts', import.meta.url);",
      `import { h } from '${EMULATOR_PACKAGE}';`,
    ].join('\n');
    const file = join(ROOT, 'lib', 'cli', 'x.ts');
    const found = specifiers(source);
    expect(found).toHaveLength(8);
    expect(found.every((specifier) => reachesEmulator(file, specifier))).toBe(true);
    expect(reachesEmulator(file, '../settings.ts')).toBe(false);
    expect(reachesEmulator(file, '../../emulatorish.ts')).toBe(false);
  });

  it('in functions/, lib/, plugins/ and bin/mpu-reaper.ts', () => {
    const files = productFiles();
    expect(files.length).toBeGreaterThan(30);
    const offenders = files.flatMap((file) =>
      specifiers(readFileSync(file, 'utf8'))
        .filter((specifier) => reachesEmulator(file, specifier))
        .map((specifier) => `${relative(ROOT, file)} → ${specifier}`),
    );
    expect(offenders).toEqual([]);
  });

  it("in serverless.yml's handlers and plugins", () => {
    const yml = readFileSync(join(ROOT, 'serverless.yml'), 'utf8')
      .split('\n')
      .filter((line) => !/^\s*#/.test(line));
    const paths = yml.flatMap((line) => {
      const handler = /^\s*handler:\s*(\S+)/.exec(line);
      if (handler) return [`./${handler[1]!.replace(/\.[^./]+$/, '')}`];
      const plugin = /^\s*-\s*(\.\.?\/\S+)/.exec(line);
      return plugin ? [plugin[1]!] : [];
    });
    expect(paths.length).toBeGreaterThan(10);
    const serverlessYml = join(ROOT, 'serverless.yml');
    expect(paths.filter((path) => reachesEmulator(serverlessYml, path))).toEqual([]);
  });
});

/** Why a specifier of an emulator file is not allowed: it leaves emulator/ by a path (relative or absolute). */
function leavesEmulator(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('/') || /^file:/.test(specifier)) return 'an absolute path';
  if (!specifier.startsWith('.')) return undefined;
  const target = resolve(dirname(file), specifier);
  return target === EMULATOR_DIR.slice(0, -1) || target.startsWith(EMULATOR_DIR) ? undefined : 'a relative path out of emulator/';
}

describe('the emulator imports the product by package name only', () => {
  const emulatorFiles = () => walk(EMULATOR_DIR);

  it('tells a path out of emulator/ from its own files and the package name (the scan itself)', () => {
    const file = join(EMULATOR_DIR, 'x.ts');
    const source = [
      "import { a } from '../lib/settings.ts';",
      "const b = createRequire(import.meta.url)('../plugins/allowlist.cjs');",
      "const c = new URL('../serverless.yml', import.meta.url);",
      "const d = import.meta.resolve('../functions/get-abort.ts');",
      "import { e } from '/work/lib/aws.ts';",
      "import { f } from './chaos.ts';",
      `import { g } from '${PRODUCT_PACKAGE}/lib/settings.ts';`,
    ].join('\n');
    const found = specifiers(source);
    expect(found).toHaveLength(7);
    const offending = found.filter((specifier) => leavesEmulator(file, specifier) !== undefined);
    expect(offending.sort()).toEqual(['../functions/get-abort.ts', '../lib/settings.ts', '../plugins/allowlist.cjs', '../serverless.yml', '/work/lib/aws.ts']);
  });

  it('in every file of emulator/', () => {
    const files = emulatorFiles();
    expect(files.length).toBeGreaterThan(15);
    const offenders = files.flatMap((file) =>
      specifiers(readFileSync(file, 'utf8')).flatMap((specifier) => {
        const why = leavesEmulator(file, specifier);
        return why ? [`${relative(ROOT, file)} → ${specifier} (${why})`] : [];
      }),
    );
    expect(offenders).toEqual([]);
  });

  it('and every such name resolves, through the package link, to a file of the repository (not a copy)', () => {
    const named = [
      ...new Set(
        emulatorFiles().flatMap((file) => specifiers(readFileSync(file, 'utf8')).filter((s) => s === PRODUCT_PACKAGE || s.startsWith(`${PRODUCT_PACKAGE}/`))),
      ),
    ];
    expect(named.length).toBeGreaterThan(5);
    const fromEmulator = createRequire(join(EMULATOR_DIR, 'package.json'));
    const outside = named
      .map((specifier) => [specifier, relative(ROOT, fromEmulator.resolve(specifier))])
      .filter(([, path]) => path!.startsWith('..') || path!.includes('node_modules'));
    expect(outside).toEqual([]);
  });
});
