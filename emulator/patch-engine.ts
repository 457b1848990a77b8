/**
 * The emulator package's postinstall (emulator/package.json; npm runs it on `npm ci` and `npm install` at the
 * root, once the package's dependencies are in place). aws-local-stepfunctions 3.0.0 ships its own SHA-256 for
 * States.Hash, and it returns wrong digests for inputs longer than one block (seen here: every "bucket/uploadId/key" string of a real upload).
 * AWS computes a correct SHA-256, and the record id depends on it, so this replaces the engine's digests
 * with node:crypto. Idempotent; fails loudly if the engine's code is not the code it knows.
 * test/unit/engine-hash.test.ts proves the patched engine agrees with node:crypto. A second patch (below) removes the
 * engine's 60-second default Task timeout, which AWS does not have.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MARK = '/* mpu-reaper: States.Hash uses node:crypto */';

/**
 * The installed engine, where Node resolves it from emulator/: emulator/node_modules/ when npm kept it in the
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

/**
 * The second patch: a Task without TimeoutSeconds. The engine follows the States Language spec's default of 60 s; AWS
 * Step Functions has no such default ("By default, the Amazon States Language doesn't specify timeouts", Developer
 * Guide, "Using timeouts to avoid stuck executions"; the Task state's TimeoutSeconds defaults to 99999999). With 60 s,
 * a sweep page execution (startExecution.sync:2) or a record Lambda that runs longer on a loaded machine failed
 * States.Timeout locally and was started again beside the first. test/unit/engine-task-timeout.test.ts proves it.
 */
const TIMEOUT_MARK = '/* mpu-reaper: no 60 s Task default timeout (AWS: 99999999 s; Node timers stop at 2^31-1 ms) */';
/** AWS's 99999999 s is past what a Node timer can hold (2^31 - 1 ms, longer delays fire after 1 ms): 24.8 days */
const NO_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const ENGINE_DEFAULT_TIMEOUT = 'var DEFAULT_TIMEOUT_SECONDS = 60;';

/**
 * The third patch: CPU, no change of result. The engine calls jsonpath-plus's JSONPath without `new`; for a scalar
 * result (most paths: `$.Key`, `$$.Map.Item.Value.UploadId`) jsonpath-plus then throws an Error, with its stack trace,
 * and catches it to return the value. Constructing it with autostart off and calling evaluate() with the same arguments
 * returns the same value without the throw: a third of the engine's JSONPath CPU in a 2,000-upload sweep.
 */
const JSONPATH_MARK = '/* mpu-reaper: JSONPath evaluated without a thrown NewError */';
const JSONPATH_HELPER = 'function __mpuReaperJsonPath(JSONPath, args) { return new JSONPath({ ...args, autostart: false }).evaluate(args); }';

for (const [file, importLine, jsonPathCall] of [
  ['build/main.node.esm.js', 'import { createHash as __mpuReaperCreateHash } from "node:crypto";', /\bjp\((\{ path: [^}]*, wrap: false \})\)/g],
  [
    'build/main.node.cjs',
    'const { createHash: __mpuReaperCreateHash } = require("node:crypto");',
    /\(0, (import_jsonpath_plus\.JSONPath)\)\((\{ path: [^}]*, wrap: false \})\)/g,
  ],
] as const) {
  const path = packageDir + file;
  let text = readFileSync(path, 'utf8');
  if (!text.includes(MARK)) {
    const switchStart = text.indexOf('    switch (algorithm) {\n      case "MD5":\n        return md5.getDigest(str);');
    if (switchStart < 0) throw new Error(`patch-engine: ${path} is not the aws-local-stepfunctions build this patch knows; check States.Hash by hand`);
    const firstLineEnd = text.indexOf('\n') + 1; // keeps a leading "use strict" directive first
    const head = text.slice(0, firstLineEnd).includes('use strict') ? text.slice(0, firstLineEnd) : '';
    text = `${head}${MARK}\n${importLine}\n${text.slice(head.length, switchStart)}    return __mpuReaperCreateHash(algorithm.replace("-", "").toLowerCase()).update(str, "utf8").digest("hex");\n${text.slice(switchStart)}`;
  }
  if (!text.includes(TIMEOUT_MARK)) {
    if (!text.includes(ENGINE_DEFAULT_TIMEOUT))
      throw new Error(`patch-engine: ${path} has no "${ENGINE_DEFAULT_TIMEOUT}"; check the Task default timeout by hand`);
    text = text.replace(ENGINE_DEFAULT_TIMEOUT, `${TIMEOUT_MARK} var DEFAULT_TIMEOUT_SECONDS = ${NO_TIMEOUT_SECONDS};`);
  }
  if (!text.includes(JSONPATH_MARK)) {
    const calls = text.match(jsonPathCall)?.length ?? 0;
    if (calls !== 2) throw new Error(`patch-engine: ${path} has ${calls} JSONPath calls where jsonPathQuery has 2; check the JSONPath patch by hand`);
    const esm = file.endsWith('.js');
    text = text.replace(jsonPathCall, (_all, ...groups: string[]) =>
      esm ? `__mpuReaperJsonPath(jp, ${groups[0]})` : `__mpuReaperJsonPath(${groups[0]}, ${groups[1]})`,
    );
    text = `${text}\n${JSONPATH_MARK}\n${JSONPATH_HELPER}\n`;
  }
  writeFileSync(path, text);
}
