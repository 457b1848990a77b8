import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ABORT_AFTER_DEADLINE_STATES, ABORT_UPLOAD_STATES, isAbortState } from '../../lib/state-names.ts';
import { STATE_MACHINES, STATEMACHINES_DIR } from '../../lib/settings.ts';

type States = Record<string, { Type: string; Resource?: string; ItemProcessor?: { States: States } }>;
const statesOf = (file: string): States => JSON.parse(readFileSync(STATEMACHINES_DIR + file, 'utf8')).States;

describe('state names held in lib/state-names.ts', () => {
  it.each([
    [STATE_MACHINES.abortUpload.file, ABORT_UPLOAD_STATES],
    [STATE_MACHINES.abortAfterDeadline.file, ABORT_AFTER_DEADLINE_STATES],
  ])('%s has every state the code names', (file, names) => {
    const states = Object.keys(statesOf(file));
    for (const name of Object.values(names)) expect(states, name).toContain(name);
  });

  it('isAbortState matches exactly the abort-upload states that send AbortMultipartUpload', () => {
    const states = statesOf(STATE_MACHINES.abortUpload.file);
    const aborting = Object.entries(states)
      .filter(([, s]) => s.Resource?.endsWith(':s3:abortMultipartUpload'))
      .map(([name]) => name)
      .sort();
    expect(Object.keys(states).filter(isAbortState).sort()).toEqual(aborting);
    expect(aborting.length).toBeGreaterThan(0);
  });
});
