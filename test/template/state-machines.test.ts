/**
 * The packaged `test` stage's state machines (shared package: test/support/template/package.ts): each ASL file
 * packaged unchanged, its DefinitionSubstitutions, its type, role, logging and tracing. asl-validator checks the
 * files unpackaged in definitions.test.ts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stateMachineType, type StateMachineKey } from '../../lib/settings.ts';
import type { Resolve } from '../support/template/intrinsics.ts';
import { PACKAGE_WAIT_MS, packagedStack } from '../support/template/package.ts';
import { ARN_SUBSTITUTIONS, ROOT, SETTINGS, STATE_MACHINES, sm, type JsonObject, type Template } from '../support/template/stack.ts';

let template: Template;
let resolve: Resolve;
beforeAll(async () => {
  ({ template, resolve } = await packagedStack());
}, PACKAGE_WAIT_MS);

/** abort-upload is packaged without its IfMatchInitiatedTime state unless the stage enables it */
const ifInitiated = createRequire(import.meta.url)('../../plugins/if-initiated.cjs') as {
  withoutIfInitiated: (definition: JsonObject) => JsonObject;
  REFUSED_STATE: string;
};
const fileOf = (key: StateMachineKey) => JSON.parse(readFileSync(join(ROOT, 'statemachines', sm(key).file), 'utf8')) as JsonObject;

describe('packaged template: state machines', () => {
  const placeholdersOf = (file: string) =>
    [...new Set([...readFileSync(join(ROOT, 'statemachines', file), 'utf8').matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]))].sort();

  it.each(Object.keys(STATE_MACHINES) as StateMachineKey[])('%s: packages the ASL file unchanged (abort-upload: without IfMatchInitiatedTime)', (key) => {
    const packaged = template.Resources[sm(key).id].Properties.DefinitionString;
    expect(typeof packaged).toBe('string');
    expect(JSON.parse(packaged as string)).toEqual(key === 'abortUpload' ? ifInitiated.withoutIfInitiated(fileOf(key)) : fileOf(key));
  });

  it('sends no IfMatchInitiatedTime by default: no state passes it, and its variant records FAILED without an abort', () => {
    const definition = JSON.parse(template.Resources[sm('abortUpload').id].Properties.DefinitionString as string) as {
      States: Record<string, { Type: string; Parameters?: JsonObject; Choices?: Array<{ StringEquals?: string; Next: string }>; Next?: string }>;
    };
    const states = Object.entries(definition.States);
    expect(states.filter(([, state]) => JSON.stringify(state.Parameters ?? {}).includes('IfMatchInitiatedTime')).map(([name]) => name)).toEqual([]);
    const routes = states.flatMap(([, state]) => state.Choices ?? []).filter((choice) => choice.StringEquals === 'ifInitiated');
    expect(routes.map((choice) => choice.Next)).toEqual([ifInitiated.REFUSED_STATE]);
    expect(definition.States[ifInitiated.REFUSED_STATE]).toMatchObject({ Type: 'Pass', ResultPath: '$.outcome', Next: 'Record outcome' });
    // asl-validator accepts the definition as packaged
    const aslValidator = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText: () => string };
    const validation = aslValidator(structuredClone(definition));
    expect(validation.isValid, validation.isValid ? '' : validation.errorsText()).toBe(true);
  });

  it.each(Object.keys(STATE_MACHINES) as StateMachineKey[])(
    '%s: substitutes exactly the placeholders of its file, with the values lib/settings.ts names',
    (key) => {
      const substitutions = resolve(template.Resources[sm(key).id].Properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
      expect(Object.keys(substitutions).sort()).toEqual(placeholdersOf(sm(key).file));
      for (const [name, value] of Object.entries(substitutions)) {
        if (name === 'RecordsTableName') expect(value).toBe('Ref(RecordsTable)');
        else if (name in SETTINGS) expect(Number(value), name).toBe(SETTINGS[name]);
        else if (name in ARN_SUBSTITUTIONS) expect(value, name).toBe(ARN_SUBSTITUTIONS[name]);
        else throw new Error(`${key}: substitution ${name} is neither the table, a setting of lib/settings.ts nor an ARN it names`);
      }
      // a machine never names itself (that would be a cycle)
      expect(Object.values(substitutions)).not.toContain(`Ref(${sm(key).id})`);
    },
  );

  it('uses every setting of lib/settings.ts in some machine', () => {
    const used = new Set(Object.values(STATE_MACHINES).flatMap((m) => Object.keys(template.Resources[m.id].Properties.DefinitionSubstitutions as JsonObject)));
    for (const name of Object.keys(SETTINGS)) expect(used.has(name), name).toBe(true);
  });

  it.each(Object.keys(STATE_MACHINES) as StateMachineKey[])(
    '%s: its type, its own role, ERROR logging without execution data into its own log group, and tracing',
    (key) => {
      const props = resolve(template.Resources[sm(key).id].Properties);
      // sweep-page is EXPRESS (billed per request and GB-second, not per transition); the others STANDARD
      expect(props.StateMachineType).toBe(stateMachineType(key));
      expect(props.RoleArn).toBe(`GetAtt(${sm(key).role}.Arn)`);
      expect(props.TracingConfiguration).toEqual({ Enabled: true });
      expect(props.LoggingConfiguration).toEqual({
        Level: 'ERROR',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: `GetAtt(${sm(key).logGroup}.Arn)` } }],
      });
      expect(resolve(template.Resources[sm(key).logGroup].Properties)).toEqual({ LogGroupName: `/aws/vendedlogs/states/${sm(key).name}`, RetentionInDays: 30 });
    },
  );
});
