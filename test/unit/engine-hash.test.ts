import { describe, expect, it } from 'vitest';
import { StateMachine } from 'aws-local-stepfunctions';
import { recordId } from '../../lib/record-id.ts';

describe('the local engine computes record ids as AWS does', () => {
  it.each([
    ['short', 'k', 'u'],
    ['clean-abort', 'videos/big file.mp4', 'fnb0KLPu9csZaRSrmFMrVG5YPCuJS5H7DqTO7y5GVRHSOmnKh5Hb1Dw'],
    ['unicode-bucket', 'données/ファイル名 🎞️.mov', 'x'.repeat(200)],
  ])('States.Hash(Format(bucket/uploadId/key)) equals recordId for %s', async (bucket, key, uploadId) => {
    // Arrange: the same expression as statemachines/abort-upload.asl.json
    const machine = new StateMachine({
      StartAt: 'Hash', States: { Hash: { Type: 'Pass', Parameters: { 'id.$': "States.Hash(States.Format('{}/{}/{}', $.bucket, $.uploadId, $.key), 'SHA-256')" }, End: true } },
    } as never);

    // Act
    const output = await machine.run({ bucket, key, uploadId }).result as { id: string };

    // Assert
    expect(output.id).toBe(recordId(bucket, key, uploadId));
    expect(output.id).toMatch(/^[0-9a-f]{64}$/);
  });
});
