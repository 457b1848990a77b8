/**
 * `npm run pack:cli`: the CLI as a package of its own, for any machine with Node 20 or later. Node strips types only
 * outside node_modules, so the package ships JavaScript: bin/mpu-reaper.ts bundled by esbuild (ESM, node20) with the
 * AWS SDK inside it. Bundled, the tarball has no dependencies: it installs offline and runs the SDK versions this
 * repository tests, and no dependency's own engines can warn. Its package.json is generated (name, bin, engines >=20,
 * files), and a real `npm pack` packs the generated directory.
 *
 *   node tools/pack-cli.ts [--out DIR] [--pack-destination DIR] [--build-only]
 *
 * `npm pack` at the root ships the same bundle inside the root package (its prepack runs this with --build-only), with
 * the root's dependencies, which the bundle does not need: this package is the smaller of the two.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** the bundle's name in the package; lib/settings.ts finds the state machines at ../statemachines/ from it */
export const CLI_BIN = 'bin/mpu-reaper.js';
/** the oldest Node the package supports: esbuild's target and the package's engines */
export const CLI_NODE = '20';

/** the packed package's package.json, from the repository's */
export function cliManifest(root: { version: string; license?: string; description?: string }): Record<string, unknown> {
  return {
    name: 'mpu-reaper',
    version: root.version,
    description: root.description,
    license: root.license,
    type: 'module',
    bin: { 'mpu-reaper': CLI_BIN },
    // `local deploy` reads the state machines' definitions
    files: [CLI_BIN, 'statemachines/*.asl.json', 'README.md'],
    engines: { node: `>=${CLI_NODE}` },
  };
}

/** builds the package's directory: the bundle, the state machines, README.md (docs/cli.md), package.json */
export async function buildCli(out: string): Promise<void> {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; license?: string; description?: string };
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'bin'), { recursive: true });
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(ROOT, 'bin/mpu-reaper.ts')],
    outfile: join(out, CLI_BIN),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${CLI_NODE}`,
    logLevel: 'warning',
    // `report --chart` loads its renderer only when asked, and names what to install when it is missing (lib/chart.ts)
    external: ['vega', 'vega-lite', '@resvg/resvg-js'],
    // the SDK is CommonJS: its require() calls of Node's modules need a require in an ES module
    banner: { js: "import { createRequire as __mpuReaperCreateRequire } from 'node:module'; const require = __mpuReaperCreateRequire(import.meta.url);" },
    define: {
      MPU_REAPER_VERSION: JSON.stringify(root.version),
      // the SDK's warning on Node 20 is about SDK releases after January 2027; the bundle's SDK is the one tested here
      'process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED': '"true"',
    },
  });
  cpSync(join(ROOT, 'statemachines'), join(out, 'statemachines'), { recursive: true });
  copyFileSync(join(ROOT, 'docs/cli.md'), join(out, 'README.md'));
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(cliManifest(root), null, 2)}\n`);
}

/** `npm pack` of the built directory into `destination`; the tarball's path */
export function packCli(out: string, destination: string): string {
  mkdirSync(destination, { recursive: true });
  const answer = execFileSync('npm', ['pack', '--json', '--pack-destination', destination], { cwd: out, encoding: 'utf8' });
  const [{ filename }] = JSON.parse(answer) as Array<{ filename: string }>;
  return join(destination, filename);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, 'pack-destination': { type: 'string' }, 'build-only': { type: 'boolean' } } });
  const out = values.out ?? join(ROOT, 'dist/cli');
  await buildCli(out);
  // the root package's prepack: `npm pack` at the root ships this build (package.json `files`, bin/mpu-reaper.js)
  if (!values['build-only']) console.log(packCli(out, values['pack-destination'] ?? ROOT));
}
