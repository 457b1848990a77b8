/**
 * The settings have one source, lib/settings.json: serverless.yml reads it (custom.settings, a stage param of the same
 * name first), lib/settings.ts reads it, and the Lambdas that need a deployed value get it through their environment.
 * Nothing here compares two copies of the values: what is checked is the wiring (every setting read from the file by
 * its own name, every machine's DefinitionSubstitutions exactly its ASL placeholders) and the code around it.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import SETTINGS_FILE from '../../lib/settings.json' with { type: 'json' };
import { recordRetentionFromEnv, sweepMinimumAgeFromEnv } from '../../lib/env.ts';
import {
  ABORT_SETTINGS_DEFAULTS,
  FUNCTIONS,
  LOCAL_SETTINGS,
  resolveSettings,
  settingsSubstitutions,
  STATE_MACHINES,
  STATEMACHINES_DIR,
  SWEEP_SETTINGS_DEFAULTS,
  type StateMachineKey,
} from '../../lib/settings.ts';

interface ServerlessConfig {
  custom: { settings: Record<string, unknown>; stateMachineNames: Record<string, string> };
  functions: Record<string, { environment?: Record<string, unknown> | string }>;
  stepFunctions: { stateMachines: Record<string, { id: string; name: string; definition: string }> };
  resources: string[];
}
type Extensions = Record<string, { Properties: { DefinitionSubstitutions: Record<string, unknown> } }>;

const config = parse(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8')) as ServerlessConfig;
/** resources.extensions, from the files serverless.yml includes as its resources (`${file(resources/….yml)}`) */
const extensions: Extensions = Object.assign(
  {},
  ...config.resources.map((include) => {
    const file = /^\$\{file\((.+)\)\}$/.exec(include)?.[1];
    if (!file) throw new Error(`resources: ${include} is not a \${file(…)} include`);
    return (parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')) as { extensions?: Extensions }).extensions ?? {};
  }),
);
const KEYS = Object.keys(STATE_MACHINES) as StateMachineKey[];
const SETTING_NAMES = [...Object.keys(ABORT_SETTINGS_DEFAULTS), ...Object.keys(SWEEP_SETTINGS_DEFAULTS)];
const logicalId = (key: StateMachineKey) => `${key[0].toUpperCase()}${key.slice(1)}StateMachine`;
const placeholdersOf = (file: string) =>
  [...new Set([...readFileSync(STATEMACHINES_DIR + file, 'utf8').matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]))].sort();

/** how serverless.yml must write each substitution, by name */
const EXPECTED_SUBSTITUTIONS: Record<string, unknown> = {
  RecordsTableName: { Ref: 'RecordsTable' },
  ...Object.fromEntries(SETTING_NAMES.map((name) => [name, `\${self:custom.settings.${name}}`])),
  ...Object.fromEntries(KEYS.map((key) => [STATE_MACHINES[key].arnSubstitution, { Ref: logicalId(key) }])),
  ...Object.fromEntries(
    Object.entries(FUNCTIONS).map(([key, fn]) => [fn.arnSubstitution, { 'Fn::GetAtt': [`${key[0].toUpperCase()}${key.slice(1)}LambdaFunction`, 'Arn'] }]),
  ),
};

describe('serverless.yml reads the settings from lib/settings.json', () => {
  it('custom.settings takes each setting from a stage param of its name, else from its group in lib/settings.json', () => {
    const groupOf = (name: string) => (name in SETTINGS_FILE.abort ? 'abort' : 'sweep');
    expect(Object.keys(config.custom.settings).sort()).toEqual([...SETTING_NAMES].sort());
    for (const name of SETTING_NAMES) {
      expect(config.custom.settings[name], name).toBe(`\${param:${name}, file(./lib/settings.json):${groupOf(name)}.${name}}`);
    }
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
    const substitutions = extensions[logicalId(key)]?.Properties.DefinitionSubstitutions;
    expect(substitutions, key).toBeDefined();
    expect(Object.keys(substitutions).sort()).toEqual(placeholdersOf(STATE_MACHINES[key].file));
    for (const [name, value] of Object.entries(substitutions)) {
      expect(name in EXPECTED_SUBSTITUTIONS, `${key}: unknown substitution ${name}`).toBe(true);
      expect(value, `${key}: ${name}`).toStrictEqual(EXPECTED_SUBSTITUTIONS[name]);
    }
  });

  it('passes every setting to some state machine', () => {
    const used = new Set(KEYS.flatMap((key) => Object.keys(extensions[logicalId(key)].Properties.DefinitionSubstitutions)));
    for (const name of SETTING_NAMES) expect(used.has(name), name).toBe(true);
  });

  it.each(['createAbort', 'recordInterruptedRun'])('%s, which writes expiresAt itself, gets the deployed RecordRetentionSeconds in its environment', (fn) => {
    const environment = config.functions[fn].environment as Record<string, unknown>;
    expect(environment.RECORD_RETENTION_SECONDS).toBe('${self:custom.settings.RecordRetentionSeconds}');
  });
});

describe('lib/settings.ts', () => {
  it("exports the file's groups as the typed defaults, every one valid", () => {
    expect(ABORT_SETTINGS_DEFAULTS).toStrictEqual(SETTINGS_FILE.abort);
    expect(SWEEP_SETTINGS_DEFAULTS).toStrictEqual(SETTINGS_FILE.sweep);
    expect(Object.keys(settingsSubstitutions()).sort()).toEqual([...SETTING_NAMES].sort());
  });

  it('the local profile only overrides settings that exist, and leaves the others at their defaults', () => {
    const local = resolveSettings(LOCAL_SETTINGS);
    for (const name of Object.keys(LOCAL_SETTINGS)) expect(SETTING_NAMES, name).toContain(name);
    expect(local).toStrictEqual({ ...ABORT_SETTINGS_DEFAULTS, ...SWEEP_SETTINGS_DEFAULTS, ...SETTINGS_FILE.local });
    expect(local.FirstWaitSeconds).toBeLessThan(ABORT_SETTINGS_DEFAULTS.FirstWaitSeconds);
  });

  it('refuses an unknown setting and a value below its minimum', () => {
    expect(() => resolveSettings({ NoSuchSetting: 1 } as never)).toThrow(/unknown setting NoSuchSetting/);
    expect(() => resolveSettings({ MaxAbortAttempts: 0 })).toThrow(/MaxAbortAttempts must be a whole number ≥ 1/);
    expect(() => resolveSettings({ FirstWaitSeconds: 1.5 })).toThrow(/FirstWaitSeconds/);
  });
});

describe('recordRetentionFromEnv (lib/env.ts)', () => {
  it('reads RECORD_RETENTION_SECONDS as whole seconds, 0 (keep records) included', () => {
    expect(recordRetentionFromEnv({ RECORD_RETENTION_SECONDS: '3600' })).toBe(3600);
    expect(recordRetentionFromEnv({ RECORD_RETENTION_SECONDS: '0' })).toBe(0);
  });

  it.each([undefined, '', '-5', '1.5', '90d', ' '])('fails loudly on %j', (value) => {
    expect(() => recordRetentionFromEnv({ RECORD_RETENTION_SECONDS: value })).toThrow(/RECORD_RETENTION_SECONDS/);
  });
});

describe('sweepMinimumAgeFromEnv (lib/env.ts)', () => {
  it("reads SWEEP_MINIMUM_AGE_SECONDS as whole seconds (0 = no minimum), else lib/settings.json's", () => {
    expect(sweepMinimumAgeFromEnv({ SWEEP_MINIMUM_AGE_SECONDS: '7200' })).toBe(7200);
    expect(sweepMinimumAgeFromEnv({ SWEEP_MINIMUM_AGE_SECONDS: '0' })).toBe(0);
    expect(sweepMinimumAgeFromEnv({})).toBe(SETTINGS_FILE.sweep.SweepMinimumAge);
  });

  it.each(['-5', '1.5', '1h', ' '])('fails loudly on %j', (value) => {
    expect(() => sweepMinimumAgeFromEnv({ SWEEP_MINIMUM_AGE_SECONDS: value })).toThrow(/SWEEP_MINIMUM_AGE_SECONDS/);
  });

  it('gives POST /sweeps the deployed SweepMinimumAge', () => {
    const config = parse(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8')) as {
      custom: { sweepApiEnvironment: Record<string, unknown> };
    };
    expect(config.custom.sweepApiEnvironment.SWEEP_MINIMUM_AGE_SECONDS).toBe('${self:custom.settings.SweepMinimumAge}');
  });
});
