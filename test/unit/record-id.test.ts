import { describe, expect, it } from 'vitest';
import { abortExecutionName, recheckExecutionName, recordId } from '../../lib/record-id.ts';

const EXECUTION_NAME = /^[0-9A-Za-z_-]{1,80}$/;

describe('recordId', () => {
  it('is deterministic, URL-safe and 64 hex characters', () => {
    // Act
    const id = recordId('my-bucket', 'path/to/file with spaces.bin', 'VXBsb2FkIElE');

    // Assert
    expect(id).toBe(recordId('my-bucket', 'path/to/file with spaces.bin', 'VXBsb2FkIElE'));
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(encodeURIComponent(id)).toBe(id);
  });

  it('differs when any of bucket, key or upload id differs', () => {
    // Arrange
    const ids = new Set([
      recordId('b', 'k', 'u'), recordId('b2', 'k', 'u'), recordId('b', 'k2', 'u'), recordId('b', 'k', 'u2'),
      recordId('b', 'u/k', ''), // moving text between fields must not collide
    ]);

    // Assert
    expect(ids.size).toBe(5);
  });

  it('matches a known SHA-256 of "bucket/uploadId/key"', () => {
    // sha256("b/u/k"), computed independently with `printf 'b/u/k' | sha256sum`
    expect(recordId('b', 'k', 'u')).toBe('332ea7cc18d868aa99634117b09595002dc2b7789a3bac4c67dad4b8bc1d1a7f');
  });
});

describe('execution names', () => {
  it('are valid Step Functions execution names, the ordinary one deterministic', () => {
    // Arrange
    const id = recordId('b', 'k', 'u');

    // Act
    const ordinary = abortExecutionName(id);
    const recheck = recheckExecutionName(id, new Date('2026-11-22T00:00:00Z'));

    // Assert
    expect(ordinary).toMatch(EXECUTION_NAME);
    expect(recheck).toMatch(EXECUTION_NAME);
    expect(ordinary).toBe(abortExecutionName(id));
    expect(recheck).not.toBe(recheckExecutionName(id, new Date('2026-11-22T00:00:01Z')));
  });
});
