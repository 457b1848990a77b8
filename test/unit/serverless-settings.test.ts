/**
 * serverless.yml cannot import lib/settings.ts: its copy of the state machine settings must stay equal to
 * ABORT_SETTINGS_DEFAULTS, the values the local runtime and the API use.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ABORT_SETTINGS_DEFAULTS } from '../../lib/settings.ts';

interface ServerlessConfig {
  custom: { abortSettings: Record<string, unknown> };
  resources: { extensions: { AbortUploadStateMachine: { Properties: { DefinitionSubstitutions: Record<string, unknown> } } } };
}

const config = parse(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8')) as ServerlessConfig;

describe('serverless.yml state machine settings', () => {
  it('custom.abortSettings equals ABORT_SETTINGS_DEFAULTS, name for name and value for value', () => {
    expect(config.custom.abortSettings).toStrictEqual({ ...ABORT_SETTINGS_DEFAULTS });
  });

  it('passes every setting, and the table name, to DefinitionSubstitutions', () => {
    const substitutions = config.resources.extensions.AbortUploadStateMachine.Properties.DefinitionSubstitutions;
    expect(Object.keys(substitutions).sort()).toEqual(['RecordsTableName', ...Object.keys(ABORT_SETTINGS_DEFAULTS)].sort());
    for (const name of Object.keys(ABORT_SETTINGS_DEFAULTS)) {
      expect(substitutions[name], name).toBe(`\${self:custom.abortSettings.${name}}`);
    }
    expect(substitutions.RecordsTableName).toEqual({ Ref: 'RecordsTable' });
  });
});
