/**
 * The product (functions/, lib/ outside lib/local/, bin/mpu-reaper.ts, serverless.yml's handlers and plugins) never
 * imports the local emulator (lib/local/, the workspace package @s3-mpu-reaper/local-aws): not statically, not with
 * a dynamic import(), not with require(). The emulator may import the product; the other way round would put the
 * emulator into a Lambda bundle or make the CLI depend on the emulator's dependencies.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EMULATOR_DIR = join(ROOT, 'lib', 'local') + sep;
const EMULATOR_PACKAGE = JSON.parse(readFileSync(join(EMULATOR_DIR, 'package.json'), 'utf8')).name as string;

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
  return [...walk(join(ROOT, 'functions')), ...walk(join(ROOT, 'lib')).filter((file) => !file.startsWith(EMULATOR_DIR)), join(ROOT, 'bin', 'mpu-reaper.ts')];
}

/**
 * Every module specifier of a file: `import … from`, `export … from`, a bare `import '…'`, `import('…')`,
 * `require('…')`, and `new URL('…', import.meta.url)` (a file loaded by path).
 */
function specifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"`]([^'"`]+)['"`]/g,
    /\brequire\s*\(\s*['"`]([^'"`]+)['"`]/g,
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
      "import { a } from '../local/a.ts';",
      "import type { B } from '../local/b.ts';",
      "export { c } from '../local/c.ts';",
      "import '../local/d.ts';",
      "const { e } = await import('../local/e.ts');",
      "const f = require('../local/f.cjs');",
      "const g = new URL('../local/g.ts', import.meta.url);",
      `import { h } from '${EMULATOR_PACKAGE}';`,
    ].join('\n');
    const file = join(ROOT, 'lib', 'cli', 'x.ts');
    const found = specifiers(source);
    expect(found).toHaveLength(8);
    expect(found.every((specifier) => reachesEmulator(file, specifier))).toBe(true);
    expect(reachesEmulator(file, '../settings.ts')).toBe(false);
    expect(reachesEmulator(file, '../localish.ts')).toBe(false);
  });

  it('in functions/, lib/ (outside lib/local/) and bin/mpu-reaper.ts', () => {
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
