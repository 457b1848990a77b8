import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The one place that names the state machines' DefinitionSubstitutions and their defaults.
 * serverless.yml and the local runtime both read these names; the ASL files use them as ${Name}.
 */
export const ABORT_SETTINGS_DEFAULTS = {
  /** seconds to wait after the first abort before ListParts checks it */
  FirstWaitSeconds: 5,
  /** the backoff doubles the wait after every abort that left parts, up to this cap */
  MaxWaitSeconds: 60,
  /** aborts before the run gives up and records PARTS_REMAIN */
  MaxAbortAttempts: 6,
  /** how long a record lives before DynamoDB's TTL removes it (90 days) */
  RecordRetentionSeconds: 90 * 24 * 3600,
} as const;

export type AbortSettings = { [K in keyof typeof ABORT_SETTINGS_DEFAULTS]: number };

export const STATE_MACHINES = {
  abortUpload: { file: 'abort-upload.asl.json', name: 'mpu-reaper-abort-upload' },
} as const;
export type StateMachineKey = keyof typeof STATE_MACHINES;

export const DEFAULT_TABLE_NAME = 'mpu-reaper-records';

export function abortSubstitutions(tableName: string, settings: Partial<AbortSettings> = {}): Record<string, string> {
  const merged = { ...ABORT_SETTINGS_DEFAULTS, ...settings };
  for (const [name, value] of Object.entries(merged)) {
    if (!Number.isInteger(value) || value < (name === 'FirstWaitSeconds' ? 0 : 1)) {
      throw new Error(`setting ${name} must be a whole number${name === 'FirstWaitSeconds' ? ' ≥ 0' : ' ≥ 1'}, got ${value}`);
    }
  }
  return { RecordsTableName: tableName, ...Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, String(v)])) };
}

export const STATEMACHINES_DIR = fileURLToPath(new URL('../statemachines/', import.meta.url));

/** Reads an ASL file and applies DefinitionSubstitutions the way CloudFormation does; an unknown ${Name} is an error. */
export function loadDefinition(file: string, substitutions: Record<string, string>): string {
  const text = readFileSync(STATEMACHINES_DIR + file, 'utf8');
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    if (!(name in substitutions)) throw new Error(`${file}: no value for the substitution \${${name}}`);
    return substitutions[name];
  });
}
