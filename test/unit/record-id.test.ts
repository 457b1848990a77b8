import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
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

  it.each([
    ['b', 'k', 'u', 'ba029b0dd3746fe36934390ca5338ce6aeb71d39a1ae3e63ed223980ff38aec0'],
    ['my-bucket', 'path/to/file with spaces.bin', 'VXBsb2FkIElE', 'b7121d74a39001501904fb7161a11fd1d1532c7d6385ca6676c416706367e174'],
    ['b', 'données/ファイル 🎞️.mov', 'u', '2931ec8b4f8a445c0aec4d56250d63093937e6d4c5a56de1381fefec5a4cc9ae'],
  ])('is the SHA-256 of the JSON array [bucket, key, uploadId] (UTF-8): %s %s %s', (bucket, key, uploadId, sha256) => {
    // the expected values computed independently: printf '["b","k","u"]' | sha256sum
    expect(recordId(bucket, key, uploadId)).toBe(sha256);
  });

  it('gives two uploads whose old ids collided different ids: {key "b", uploadId "U/a"} and {key "a/b", uploadId "U"}', () => {
    // Act
    const crafted = recordId('data-lake', 'b', 'U/a');
    const real = recordId('data-lake', 'a/b', 'U');

    // Assert: the old id hashed "bucket/uploadId/key", the same text for both: "data-lake/U/a/b"
    expect(`data-lake/${'U/a'}/${'b'}`).toBe(`data-lake/${'U'}/${'a/b'}`);
    expect(crafted).not.toBe(real);
  });

  it.each([
    [
      ['b', 'k', 'u'],
      ['b2', 'k', 'u'],
    ],
    [
      ['b', 'k', 'u'],
      ['b', 'k2', 'u'],
    ],
    [
      ['b', 'k', 'u'],
      ['b', 'k', 'u2'],
    ],
    [
      ['b', 'u/k', ''],
      ['b', 'u', 'k'],
    ],
    [
      ['b', 'k","u', ''],
      ['b', 'k', 'u'],
    ],
    [
      ['b', 'k\\', 'u'],
      ['b', 'k', '\\u'],
    ],
    [
      ['b,k', 'u', 'x'],
      ['b', 'k,u', 'x'],
    ],
  ])('differs when text moves between fields: %j vs %j', (first, second) => {
    expect(recordId(first[0], first[1], first[2])).not.toBe(recordId(second[0], second[1], second[2]));
  });

  it('gives distinct uploads distinct ids (any characters, separators and quotes included)', () => {
    // Arrange: a small alphabet of the characters that glue or quote fields, so that near-collisions are common
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '/', '"', '\\', ',', '[', ']', ' ', 'é', '\u0000'), maxLength: 6 });
    const triples = fc.uniqueArray(fc.tuple(text, text, text), { minLength: 2, maxLength: 40, selector: (t) => JSON.stringify(t) });

    // Act / Assert
    fc.assert(
      fc.property(triples, (uploads) => {
        const ids = new Set(uploads.map(([bucket, key, uploadId]) => recordId(bucket, key, uploadId)));
        expect(ids.size).toBe(uploads.length);
      }),
      { numRuns: 500 },
    );
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

  it('are valid for any upload and any time up to the year 9999', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.string(),
        fc.date({ min: new Date(0), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        (bucket, key, uploadId, now) => {
          const id = recordId(bucket, key, uploadId);
          expect(abortExecutionName(id)).toMatch(EXECUTION_NAME);
          expect(recheckExecutionName(id, now)).toMatch(EXECUTION_NAME);
        },
      ),
    );
  });
});
