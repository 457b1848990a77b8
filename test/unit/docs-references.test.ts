/**
 * Every repository path, link, npm script and mpu-reaper command that README.md and docs/*.md name exists: a link
 * resolves to a file, a path in code (`test/bench/cost.ts`, `test/unit/cli/`, `lib/*.ts`) matches the repository, an
 * `npm run X` is a script of package.json, and `mpu-reaper X` (`local Y`) is a command the CLI answers `--help` for.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const read = (page: string) => readFileSync(join(ROOT, page), 'utf8');

/** what the repository does not hold but produces (.gitignore): a page may name an output such as test/bench/results/ */
const IGNORED = readFileSync(join(ROOT, '.gitignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line.endsWith('/'));

/** the repository's files and folders, relative to the root (node_modules, .git and ignored folders left out) */
function repositoryEntries(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    const rel = relative(ROOT, path);
    if (entry.name === '.git' || IGNORED.some((ignored) => `${rel}/`.startsWith(ignored))) return [];
    return entry.isDirectory() ? [`${rel}/`, ...repositoryEntries(path)] : [rel];
  });
}
const ENTRIES = repositoryEntries();

/** the text of a page's inline code spans and fenced blocks (where paths and commands are written) */
function codeOf(text: string): string[] {
  const fences = [...text.matchAll(/^ *```[^\n]*\n([\s\S]*?)^ *```/gm)].map((m) => m[1]);
  const prose = text.replace(/^ *```[^\n]*\n[\s\S]*?^ *```/gm, '');
  return [...fences, ...[...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1])];
}

const TOP_LEVEL =
  /^(?:\.ci|bin|docs|emulator|functions|lib|plugins|statemachines|test|tools)\/[\w.*{},/-]*$|^(?:serverless\.yml|package\.json|tsconfig\.json|vitest\.config\.ts|biome\.jsonc|README\.md)$/;

/** a path pattern as a regular expression over ENTRIES: `*` any name part, `{a,b}` either, an all-capitals word a placeholder */
function pattern(path: string): RegExp {
  const source = path
    .replace(/[.+?^$()|[\]\\]/g, '\\$&')
    .replace(/\{([^}]*)\}/g, (_, list: string) => `(?:${list.split(',').join('|')})`)
    .replace(/\*/g, '[^/]*')
    .replace(/\b[A-Z]{1,4}\b(?=\\\.)/g, '[^/]+');
  return new RegExp(`^${source}$`);
}

/** every repository path a page's code names */
function pathsOf(text: string): string[] {
  return codeOf(text).flatMap((code) =>
    code
      .split(/[\s"'`();=]+/)
      .map((token) => token.replace(/[.:,]+$/, ''))
      .filter((token) => TOP_LEVEL.test(token) && !IGNORED.some((ignored) => token.startsWith(ignored))),
  );
}

const linksOf = (text: string) =>
  [...text.replace(/^ *```[^\n]*\n[\s\S]*?^ *```/gm, '').matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)]
    .map((m) => m[1])
    .filter((target) => !/^(?:[a-z]+:|#)/.test(target))
    .map((target) => target.replace(/#.*$/, ''));

const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
const npmScriptsOf = (text: string) => codeOf(text).flatMap((code) => [...code.matchAll(/\bnpm (?:run ([\w:-]+)|(start|test)\b)/g)].map((m) => m[1] ?? m[2]));

/** `mpu-reaper X` and `mpu-reaper local Y` in code, placeholders (COMMAND, <command>) and options left out */
const commandsOf = (text: string) =>
  codeOf(text).flatMap((code) =>
    [...code.matchAll(/(?:^|[\s(])mpu-reaper ([a-z][\w-]*)(?: ([a-z][\w-]*))?/gm)].map((m) => (m[1] === 'local' && m[2] ? `local ${m[2]}` : m[1])),
  );

describe.each(PAGES)('%s', (page) => {
  const text = read(page);

  it('links to files that exist', () => {
    const missing = linksOf(text).filter((target) => !existsSync(resolve(dirname(join(ROOT, page)), target)));
    expect(missing).toEqual([]);
  });

  it('names repository paths that exist', () => {
    const missing = pathsOf(text).filter((path) => !ENTRIES.some((entry) => pattern(path).test(entry) || pattern(path).test(entry.replace(/\/$/, ''))));
    expect(missing).toEqual([]);
  });

  it('names npm scripts that package.json has', () => {
    expect(npmScriptsOf(text).filter((script) => !scripts.includes(script))).toEqual([]);
  });

  it('names mpu-reaper commands the CLI has', async () => {
    const unknown: string[] = [];
    for (const command of new Set(commandsOf(text))) {
      const { code } = await cli([...command.split(' '), '--help'], {});
      if (code !== 0) unknown.push(command);
    }
    expect(unknown).toEqual([]);
  });
});

describe('README.md', () => {
  it('stays a page a newcomer reads in ten minutes: at most 200 lines', () => {
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(200);
  });
});

describe('the reference scan itself', () => {
  it('finds links, paths, scripts and commands, and tells a missing one', () => {
    // Arrange
    const text = [
      'See [the record](docs/record.md) and ![a chart](missing.png) or [AWS](https://aws.amazon.com).',
      'The cost is in `test/bench/cost.ts`; `lib/*.ts`; `statemachines/X.asl.json`; `lib/nowhere.ts`; output in `test/bench/results/a.json`.',
      '   ```sh',
      '   npm run diagrams && npm run nothing && npm test',
      '   MPU_REAPER_STAGE=prod npx mpu-reaper sweeps ID && mpu-reaper local seed --bucket b && mpu-reaper frobnicate',
      '   ```',
    ].join('\n');

    // Act / Assert
    expect(linksOf(text)).toEqual(['docs/record.md', 'missing.png']);
    expect(pathsOf(text)).toEqual(['test/bench/cost.ts', 'lib/*.ts', 'statemachines/X.asl.json', 'lib/nowhere.ts']);
    expect(pathsOf(text).filter((path) => !ENTRIES.some((entry) => pattern(path).test(entry)))).toEqual(['lib/nowhere.ts']);
    expect(npmScriptsOf(text)).toEqual(['diagrams', 'nothing', 'test']);
    expect(commandsOf(text)).toEqual(['sweeps', 'local seed', 'frobnicate']);
  });
});
