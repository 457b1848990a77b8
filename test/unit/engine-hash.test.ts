/**
 * lib/local/patch-engine.ts (postinstall) makes aws-local-stepfunctions' States.Hash use node:crypto: its own SHA-256
 * was wrong for some inputs. No definition uses States.Hash any more (record ids are computed in TypeScript by
 * lib/record-id.ts since the abort-upload redesign); this keeps the patched engine honest for as long as the patch exists.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StateMachine } from 'aws-local-stepfunctions';

describe('the local engine\'s States.Hash (patched to node:crypto)', () => {
  it.each([
    ['short ASCII', 'b/u/k'],
    ['a key with spaces', 'clean-abort/fnb0KLPu9csZaRSrmFMrVG5YPCuJS5H7DqTO7y5GVRHSOmnKh5Hb1Dw/videos/big file.mp4'],
    ['multi-byte characters and an emoji', `unicode-bucket/${'x'.repeat(200)}/données/ファイル名 🎞️.mov`],
  ])('States.Hash(…, SHA-256) equals node:crypto\'s SHA-256 of the UTF-8 text: %s', async (_, text) => {
    // Arrange
    const machine = new StateMachine({ StartAt: 'Hash', States: { Hash: { Type: 'Pass', Parameters: { 'id.$': "States.Hash($.text, 'SHA-256')" }, End: true } } } as never);

    // Act
    const output = await machine.run({ text }).result as { id: string };

    // Assert
    expect(output.id).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
  });
});
