/**
 * emulator/patch-engine.ts makes the engine evaluate JSONPath without jsonpath-plus's thrown-and-caught NewError (a CPU
 * saving): every kind of path must still give what jsonpath-plus's own call gives, and a path to nothing must still
 * fail the state as before.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { JSONPath } from 'jsonpath-plus';
import { StateMachine } from 'aws-local-stepfunctions';

const input = { key: 'a/b', n: 0, flag: false, none: null, list: [{ id: 'x' }, { id: 'y' }], nested: { deep: { value: 7 } }, empty: '' };
const paths = ['$.key', '$.n', '$.flag', '$.none', '$.list', '$.list[1].id', '$.list[*].id', '$.nested', '$.nested.deep.value', '$.empty', '$'];

/** the engine's Pass state with Parameters naming each path: what the engine evaluated */
async function engineValues(): Promise<Record<string, unknown>> {
  const parameters = Object.fromEntries(paths.map((path, i) => [`p${i}.$`, path]));
  const machine = new StateMachine({ StartAt: 'Paths', States: { Paths: { Type: 'Pass', Parameters: parameters, End: true } } } as never);
  return (await machine.run(input as never).result) as Record<string, unknown>;
}

describe('the engine with the JSONPath patch', () => {
  it('is patched (the patched build is what runs)', () => {
    const require = createRequire(import.meta.url);
    const engine = require.resolve('aws-local-stepfunctions').replace(/main\.node\.cjs$/, 'main.node.esm.js');
    expect(readFileSync(engine, 'utf8')).toContain('__mpuReaperJsonPath(jp, { path: pathExpression, json, wrap: false })');
  });

  it('evaluates every kind of path as jsonpath-plus called without new does', async () => {
    const values = await engineValues();
    for (const [i, path] of paths.entries()) {
      expect(values[`p${i}`], path).toEqual(JSONPath({ path, json: input, wrap: false }));
    }
    expect(values.p1).toBe(0);
    expect(values.p2).toBe(false);
    expect(values.p3).toBeNull();
    expect(values.p6).toEqual(['x', 'y']);
  });

  it('still fails a state whose path points to nothing', async () => {
    const machine = new StateMachine({ StartAt: 'Missing', States: { Missing: { Type: 'Pass', Parameters: { 'v.$': '$.absent' }, End: true } } } as never);
    await expect(machine.run(input as never).result).rejects.toThrow(/Path expression '\$\.absent' does not point to a value/);
  });

  it('reads the context object ($$) as before', async () => {
    const machine = new StateMachine({ StartAt: 'Ctx', States: { Ctx: { Type: 'Pass', Parameters: { 'name.$': '$$.Execution.Name' }, End: true } } } as never);
    const output = await machine.run(input as never, { context: { Execution: { Name: 'run-1' } } } as never).result;
    expect(output).toEqual({ name: 'run-1' });
  });
});
