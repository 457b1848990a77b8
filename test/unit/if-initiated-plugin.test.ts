/** plugins/if-initiated.cjs: abort-upload without IfMatchInitiatedTime, its variant recorded FAILED without an abort. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decideOutcome, type LoopState } from '../../lib/abort-run.ts';

type State = { Type: string; Result?: unknown; ResultPath?: string; Next?: string; Choices?: Array<{ Next: string }>; Parameters?: unknown };
type Definition = { StartAt: string; States: Record<string, State> };
const plugin = createRequire(import.meta.url)('../../plugins/if-initiated.cjs') as {
  withoutIfInitiated: (definition: Definition) => Definition;
  REFUSED_STATE: string;
};
const file = (): Definition => JSON.parse(readFileSync(new URL('../../statemachines/abort-upload.asl.json', import.meta.url), 'utf8'));

describe('abort-upload without IfMatchInitiatedTime', () => {
  it('replaces only the IfMatchInitiatedTime state and what only it led to, and leads its Choice there', () => {
    const original = file();
    const packaged = plugin.withoutIfInitiated(file());
    expect(JSON.stringify(packaged)).not.toContain('"IfMatchInitiatedTime.$"');
    // the 412 check follows that abort alone: it goes with it (a state nothing reaches fails CreateStateMachine)
    const { 'Abort upload (if initiated then)': removed, 'Precondition failed?': onlyAfterIt, ...kept } = original.States;
    expect(onlyAfterIt.Type).toBe('Choice');
    expect(packaged.States).not.toHaveProperty(['Precondition failed?']);
    expect(removed.Type).toBe('Task');
    const { [plugin.REFUSED_STATE]: refusal, ...rest } = packaged.States;
    expect(refusal.Type).toBe('Pass');
    // every other state as it was, but the Choice that named the removed state
    expect(rest['What next?'].Choices?.map((c) => c.Next)).toEqual(
      kept['What next?'].Choices?.map((c) => (c.Next === 'Abort upload (if initiated then)' ? plugin.REFUSED_STATE : c.Next)),
    );
    expect({ ...rest, 'What next?': undefined }).toEqual({ ...kept, 'What next?': undefined });
    // and nothing leads to a state that is not there
    const targets = Object.values(packaged.States)
      .flatMap((s) => [s.Next, ...(s.Choices ?? []).map((c) => c.Next)])
      .filter(Boolean) as string[];
    for (const target of targets) expect(packaged.States, target).toHaveProperty([target]);
  });

  it("records FAILED with the reason and no abort attempt (the record-outcome step reads the Pass state's result)", () => {
    const refusal = plugin.withoutIfInitiated(file()).States[plugin.REFUSED_STATE];
    const state = { next: 'abort', loop: { attempt: 0, waitSeconds: 1 }, outcome: refusal.Result } as unknown as LoopState;
    expect(decideOutcome(state)).toEqual({
      status: 'FAILED',
      error: 'IfMatchInitiatedTimeNotEnabled',
      cause: expect.stringContaining('--param="ifMatchInitiatedTime=true"'),
      attempts: 0,
    });
  });
});
