/**
 * serverless.yml cannot import lib/settings.ts: its copies of the state machine settings must stay equal to
 * ABORT_SETTINGS_DEFAULTS and SWEEP_SETTINGS_DEFAULTS, the values the local runtime and the API use, and every
 * machine's DefinitionSubstitutions must name exactly the placeholders of its ASL file.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ABORT_SETTINGS_DEFAULTS, FUNCTIONS, STATE_MACHINES, STATEMACHINES_DIR, SWEEP_SETTINGS_DEFAULTS, type StateMachineKey } from '../../lib/settings.ts';

interface ServerlessConfig {
  custom: { abortSettings: Record<string, unknown>; sweepSettings: Record<string, unknown>; stateMachineNames: Record<string, string> };
  stepFunctions: { stateMachines: Record<string, { id: string; name: string; definition: string }> };
  resources: { extensions: Record<string, { Properties: { DefinitionSubstitutions: Record<string, unknown> } }> };
}

const config = parse(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8')) as ServerlessConfig;
const KEYS = Object.keys(STATE_MACHINES) as StateMachineKey[];
const logicalId = (key: StateMachineKey) => `${key[0].toUpperCase()}${key.slice(1)}StateMachine`;
const placeholdersOf = (file: string) =>
  [...new Set([...readFileSync(STATEMACHINES_DIR + file, 'utf8').matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]))].sort();

/** how serverless.yml must write each substitution, by name */
const EXPECTED_SUBSTITUTIONS: Record<string, unknown> = {
  RecordsTableName: { Ref: 'RecordsTable' },
  ...Object.fromEntries(Object.keys(ABORT_SETTINGS_DEFAULTS).map((name) => [name, `\${self:custom.abortSettings.${name}}`])),
  ...Object.fromEntries(Object.keys(SWEEP_SETTINGS_DEFAULTS).map((name) => [name, `\${self:custom.sweepSettings.${name}}`])),
  ...Object.fromEntries(KEYS.map((key) => [STATE_MACHINES[key].arnSubstitution, { Ref: logicalId(key) }])),
  ...Object.fromEntries(Object.entries(FUNCTIONS).map(([key, fn]) => [fn.arnSubstitution, { 'Fn::GetAtt': [`${key[0].toUpperCase()}${key.slice(1)}LambdaFunction`, 'Arn'] }])),
};

describe('serverless.yml state machine settings', () => {
  it('custom.abortSettings equals ABORT_SETTINGS_DEFAULTS, name for name and value for value', () => {
    expect(config.custom.abortSettings).toStrictEqual({ ...ABORT_SETTINGS_DEFAULTS });
  });

  it('custom.sweepSettings equals SWEEP_SETTINGS_DEFAULTS, name for name and value for value', () => {
    expect(config.custom.sweepSettings).toStrictEqual({ ...SWEEP_SETTINGS_DEFAULTS });
  });

  it('declares every state machine of lib/settings.ts, with a fixed logical id, its own name and its file', () => {
    expect(Object.keys(config.stepFunctions.stateMachines).sort()).toEqual([...KEYS].sort());
    for (const key of KEYS) {
      const machine = config.stepFunctions.stateMachines[key];
      expect(machine.id, key).toBe(logicalId(key));
      expect(machine.name, key).toBe(`\${self:custom.stateMachineNames.${key}}`);
      expect(machine.definition, key).toBe(`\${file(statemachines/${STATE_MACHINES[key].file})}`);
      expect(config.custom.stateMachineNames[key], key).toBe(`\${self:service}-\${sls:stage}-${STATE_MACHINES[key].file.replace(/\.asl\.json$/, '')}`);
    }
  });

  it.each(KEYS)('%s: DefinitionSubstitutions name exactly the placeholders of its file, each from its single source', (key) => {
    const substitutions = config.resources.extensions[logicalId(key)]?.Properties.DefinitionSubstitutions;
    expect(substitutions, key).toBeDefined();
    expect(Object.keys(substitutions).sort()).toEqual(placeholdersOf(STATE_MACHINES[key].file));
    for (const [name, value] of Object.entries(substitutions)) {
      expect(name in EXPECTED_SUBSTITUTIONS, `${key}: unknown substitution ${name}`).toBe(true);
      expect(value, `${key}: ${name}`).toStrictEqual(EXPECTED_SUBSTITUTIONS[name]);
    }
  });

  it('passes every setting to some state machine', () => {
    const used = new Set(KEYS.flatMap((key) => Object.keys(config.resources.extensions[logicalId(key)].Properties.DefinitionSubstitutions)));
    for (const name of [...Object.keys(ABORT_SETTINGS_DEFAULTS), ...Object.keys(SWEEP_SETTINGS_DEFAULTS)]) expect(used.has(name), name).toBe(true);
  });
});
