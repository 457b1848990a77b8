/**
 * aws-local-stepfunctions 3.0.0 computes wrong SHA-256 digests for States.Hash inputs longer than one block; npm install
 * patches it to use node:crypto (emulator/patch-engine.ts). The local runtime must hash as AWS does.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StateMachine } from 'aws-local-stepfunctions';

describe('the local engine computes States.Hash as AWS does', () => {
  it.each([
    ['one byte', 'k'],
    ['exactly one 64-byte block', 'x'.repeat(64)],
    ['several blocks of multi-byte UTF-8', `données/ファイル名 🎞️.mov/${'y'.repeat(300)}`],
  ])('SHA-256 of %s equals node:crypto', async (_name, text) => {
    // Arrange
    const machine = new StateMachine({
      StartAt: 'Hash',
      States: { Hash: { Type: 'Pass', Parameters: { 'digest.$': "States.Hash($.text, 'SHA-256')" }, End: true } },
    } as never);

    // Act
    const output = (await machine.run({ text }).result) as { digest: string };

    // Assert
    expect(output.digest).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
  });
});
