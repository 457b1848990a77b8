/**
 * The emulator package's postinstall (lib/local/package.json; npm runs it on `npm ci` and `npm install` at the
 * root, once the package's dependencies are in place). aws-local-stepfunctions 3.0.0 ships its own SHA-256 for
 * States.Hash, and it returns wrong digests for inputs longer than one block (seen here: every "bucket/uploadId/key" string of a real upload).
 * AWS computes a correct SHA-256, and the record id depends on it, so this replaces the engine's digests
 * with node:crypto. Idempotent; fails loudly if the engine's code is not the code it knows.
 * test/unit/engine-hash.test.ts proves the patched engine agrees with node:crypto.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MARK = '/* mpu-reaper: States.Hash uses node:crypto */';

/**
 * The installed engine, where Node resolves it from lib/local/: lib/local/node_modules/ when npm kept it in the
 * workspace, else the nearest node_modules/ above (the root's, where npm hoists a workspace's dependencies).
 */
function enginePackageDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', 'aws-local-stepfunctions');
    if (existsSync(join(candidate, 'package.json'))) return `${candidate}/`;
    if (dirname(dir) === dir) throw new Error('patch-engine: aws-local-stepfunctions is not installed (run npm install at the repository root)');
  }
}
const packageDir = enginePackageDir();

for (const [file, importLine] of [
  ['build/main.node.esm.js', 'import { createHash as __mpuReaperCreateHash } from "node:crypto";'],
  ['build/main.node.cjs', 'const { createHash: __mpuReaperCreateHash } = require("node:crypto");'],
] as const) {
  const path = packageDir + file;
  let text = readFileSync(path, 'utf8');
  if (text.includes(MARK)) continue;
  const switchStart = text.indexOf('    switch (algorithm) {\n      case "MD5":\n        return md5.getDigest(str);');
  if (switchStart < 0) throw new Error(`patch-engine: ${path} is not the aws-local-stepfunctions build this patch knows; check States.Hash by hand`);
  const firstLineEnd = text.indexOf('\n') + 1; // keeps a leading "use strict" directive first
  const head = text.slice(0, firstLineEnd).includes('use strict') ? text.slice(0, firstLineEnd) : '';
  text = `${head}${MARK}\n${importLine}\n${text.slice(head.length, switchStart)}    return __mpuReaperCreateHash(algorithm.replace("-", "").toLowerCase()).update(str, "utf8").digest("hex");\n${text.slice(switchStart)}`;
  writeFileSync(path, text);
}
