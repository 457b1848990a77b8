import { describe, expect, it } from 'vitest';
import {
  ABORT_REQUEST_FIELDS,
  bucketProblem,
  isDirectoryBucket,
  isIso8601,
  keyProblem,
  prefixProblem,
  uploadIdProblem,
  validateAbortRequest,
  wholeNumber,
} from '../../lib/validation.ts';
import { validateSweepRequest } from '../../lib/sweep/plan.ts';

const VALID = { bucket: 'data-lake', key: 'a/b.bin', uploadId: 'VXBsb2FkIElE' };
const DIRECTORY = 'data--use1-az4--x-s3';

describe('bucket', () => {
  it.each(['abc', 'data-lake', 'logs.example.com', '0bucket9', 'a1-b2.c3', 'a'.repeat(63), `a${'-'.repeat(61)}z`])(
    'accepts the general purpose bucket %s',
    (bucket) => {
      // Act
      const problems = validateAbortRequest({ ...VALID, bucket });

      // Assert
      expect(problems).toEqual([]);
      expect(isDirectoryBucket(bucket)).toBe(false);
    },
  );

  it.each([
    DIRECTORY,
    'my-bucket--usw2-az1--x-s3',
    'b--usw2-az1--x-s3',
    'b--usw2-lax1-az1--x-s3',
    'a--b--apne1-az4--x-s3',
    `${'d'.repeat(63 - '--use1-az4--x-s3'.length)}--use1-az4--x-s3`,
  ])('accepts the directory bucket %s', (bucket) => {
    // Act
    const problems = validateAbortRequest({ ...VALID, bucket });

    // Assert
    expect(problems).toEqual([]);
    expect(isDirectoryBucket(bucket)).toBe(true);
  });

  it.each([
    ['', /3 to 63 characters/],
    ['ab', /3 to 63 characters/],
    ['a'.repeat(64), /3 to 63 characters/],
    [`${'d'.repeat(64 - '--use1-az4--x-s3'.length)}--use1-az4--x-s3`, /3 to 63 characters/],
    ['Data-Lake', /lowercase letters, digits, dots and hyphens/],
    ['data_lake', /lowercase letters/],
    ['data lake', /lowercase letters/],
    ['dätä', /lowercase letters/],
    ['-data', /starting and ending with a letter or digit/],
    ['data-', /starting and ending with a letter or digit/],
    ['.data', /starting and ending with a letter or digit/],
    ['data.', /starting and ending with a letter or digit/],
    ['data..lake', /two adjacent dots/],
    ['192.168.1.1', /IP address/],
    ['Data--use1-az4--x-s3', /lowercase letters/],
    ['data--x-s3', /no directory bucket name/],
    ['my.data--use1-az4--x-s3', /no directory bucket name/],
    ['data--use1--x-s3', /no directory bucket name/],
  ])('refuses %j: %s', (bucket, rule) => {
    // Act
    const problems = validateAbortRequest({ ...VALID, bucket });

    // Assert
    expect(problems).toHaveLength(1);
    expect(problems[0].field).toBe('bucket');
    expect(problems[0].rule).toMatch(rule);
    expect(bucketProblem(bucket)).toBe(problems[0].rule);
  });
});

describe('key', () => {
  it.each([
    ['one character', 'k'],
    ['1,024 ASCII bytes', 'k'.repeat(1024)],
    ['1,024 bytes of 2-byte characters', 'é'.repeat(512)],
    ['1,024 bytes of 4-byte characters (surrogate pairs)', '😀'.repeat(256)],
    ['spaces, slashes and dots', ' a/../b c/ .'],
    ['a key that looks like a flag', '--help'],
    // S3 stores such keys (the character is well-formed UTF-8: EF BF BD) and a sweep lists and aborts them
    ['a key holding U+FFFD', 'logs/\uFFFD.bin'],
    ['a key that is U+FFFD alone', '\uFFFD'],
  ])('accepts %s', (_, key) => {
    // Act
    const problems = validateAbortRequest({ ...VALID, key });

    // Assert
    expect(problems).toEqual([]);
    expect(keyProblem(key)).toBeUndefined();
  });

  it.each([
    ['an empty key', '', /1 to 1,024 bytes of UTF-8, got 0/],
    ['1,025 ASCII bytes', 'k'.repeat(1025), /got 1025/],
    ['1,025 bytes of multi-byte characters (341 × 3 + 2)', `${'€'.repeat(341)}é`, /got 1025/],
    ['513 two-byte characters: 1,026 bytes in 513 UTF-16 units', 'é'.repeat(513), /got 1026/],
    ['a lone high surrogate', 'a\uD800b', /valid UTF-8/],
    ['a lone low surrogate', '\uDC00', /valid UTF-8/],
  ])('refuses %s', (_, key, rule) => {
    // Act
    const problems = validateAbortRequest({ ...VALID, key });

    // Assert
    expect(problems).toEqual([{ field: 'key', rule: expect.stringMatching(rule) }]);
  });

  it('counts bytes, not characters: 342 three-byte characters are 1,026 bytes', () => {
    // Arrange
    const key = '€'.repeat(342);

    // Act
    const rule = keyProblem(key);

    // Assert
    expect(key.length).toBe(342);
    expect(rule).toBe('must be 1 to 1,024 bytes of UTF-8, got 1026');
  });
});

describe('uploadId', () => {
  it('accepts any non-blank string', () => {
    expect(validateAbortRequest({ ...VALID, uploadId: 'x' })).toEqual([]);
    expect(validateAbortRequest({ ...VALID, uploadId: 'a.b_c-d~e' })).toEqual([]);
  });

  it.each(['', ' ', '\t\n'])('refuses %j as empty', (uploadId) => {
    expect(validateAbortRequest({ ...VALID, uploadId })).toEqual([{ field: 'uploadId', rule: 'must not be empty' }]);
  });

  it.each([
    ['a slash (ids must not be able to move text between fields)', 'U/a'],
    ['a NUL', 'U\u0000a'],
    ['a newline', 'U\na'],
    ['DEL', 'U\u007fa'],
    ['a space', 'U a'],
    ['a non-ASCII letter', 'Uä'],
  ])('refuses an uploadId with %s', (_, uploadId) => {
    expect(validateAbortRequest({ ...VALID, uploadId })).toEqual([
      { field: 'uploadId', rule: 'must be printable ASCII without "/", spaces or control characters' },
    ]);
    expect(uploadIdProblem(uploadId)).toBe('must be printable ASCII without "/", spaces or control characters');
  });

  it('accepts 1,024 printable characters and refuses 1,025', () => {
    expect(uploadIdProblem('~'.repeat(1024))).toBeUndefined();
    expect(uploadIdProblem('~'.repeat(1025))).toBe('must be at most 1,024 characters, got 1025');
  });
});

describe('bucket names S3 reserves', () => {
  it.each([
    ['xn--data', /reserved prefix xn--/],
    ['sthree-data', /reserved prefix sthree-/],
    ['amzn-s3-demo-data', /reserved prefix amzn-s3-demo-/],
    ['data-s3alias', /reserved suffix -s3alias/],
    ['data--ol-s3', /reserved suffix --ol-s3/],
    ['data.mrap', /reserved suffix \.mrap/],
    ['data--table-s3', /reserved suffix --table-s3/],
  ])('refuses %s', (bucket, rule) => {
    expect(bucketProblem(bucket)).toMatch(rule);
  });
});

describe('requestPayer', () => {
  it('accepts "requester" on a general purpose bucket', () => {
    expect(validateAbortRequest({ ...VALID, requestPayer: 'requester' })).toEqual([]);
  });

  it.each(['owner', 'Requester', 'REQUESTER', ''])('refuses %j', (requestPayer) => {
    expect(validateAbortRequest({ ...VALID, requestPayer })).toEqual([{ field: 'requestPayer', rule: 'must be "requester"' }]);
  });

  it('refuses requester pays on a directory bucket', () => {
    expect(validateAbortRequest({ ...VALID, bucket: DIRECTORY, requestPayer: 'requester' })).toEqual([
      { field: 'requestPayer', rule: 'is not supported by directory buckets' },
    ]);
  });
});

describe('expectedBucketOwner', () => {
  it.each(['123456789012', '000000000000'])('accepts %s', (expectedBucketOwner) => {
    expect(validateAbortRequest({ ...VALID, expectedBucketOwner })).toEqual([]);
  });

  it.each(['12345678901', '1234567890123', '12345678901a', ' 123456789012', '1234-5678-9012', '', '１２３４５６７８９０１２'])(
    'refuses %j',
    (expectedBucketOwner) => {
      expect(validateAbortRequest({ ...VALID, expectedBucketOwner })).toEqual([{ field: 'expectedBucketOwner', rule: 'must be a 12-digit AWS account id' }]);
    },
  );
});

describe('ifMatchInitiatedTime', () => {
  it.each([
    '2026-11-20T10:00:00Z',
    '2026-11-20T10:00:00.5Z',
    '2026-11-20T10:00:00.123456789Z',
    '2026-11-20T10:00:00+02:00',
    '2026-11-20T23:59:59-11:30',
    '2028-02-29T00:00:00Z',
    '2026-12-31T00:00:00Z',
  ])('accepts %s on a directory bucket', (ifMatchInitiatedTime) => {
    // Act
    const problems = validateAbortRequest({ ...VALID, bucket: DIRECTORY, ifMatchInitiatedTime });

    // Assert
    expect(problems).toEqual([]);
    expect(isIso8601(ifMatchInitiatedTime)).toBe(true);
  });

  it.each([
    ['a date only', '2026-11-20'],
    ['no seconds', '2026-11-20T10:00Z'],
    ['no zone', '2026-11-20T10:00:00'],
    ['a space for T', '2026-11-20 10:00:00Z'],
    ['lower-case t and z', '2026-11-20t10:00:00z'],
    ['a word', 'yesterday'],
    ['epoch seconds', '1795000000'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['30 February', '2026-02-30T00:00:00Z'],
    ['29 February of a common year', '2026-02-29T00:00:00Z'],
    ['31 April', '2026-04-31T00:00:00Z'],
    ['hour 24', '2026-11-20T24:00:00Z'],
    ['minute 60', '2026-11-20T10:60:00Z'],
    ['second 60', '2026-11-20T10:00:60Z'],
    ['an offset of 25 hours', '2026-11-20T10:00:00+25:00'],
    ['an empty string', ''],
  ])('refuses %s (%j)', (_, ifMatchInitiatedTime) => {
    // Act
    const problems = validateAbortRequest({ ...VALID, bucket: DIRECTORY, ifMatchInitiatedTime });

    // Assert
    expect(problems).toEqual([{ field: 'ifMatchInitiatedTime', rule: 'must be an ISO-8601 time such as 2026-11-20T10:00:00Z' }]);
    expect(isIso8601(ifMatchInitiatedTime)).toBe(false);
  });

  it('refuses a valid time on a general purpose bucket', () => {
    expect(validateAbortRequest({ ...VALID, ifMatchInitiatedTime: '2026-11-20T10:00:00Z' })).toEqual([
      { field: 'ifMatchInitiatedTime', rule: 'is only for directory buckets (name--zone-id--x-s3)' },
    ]);
  });
});

describe('validateAbortRequest', () => {
  it('accepts a request with every optional field a directory bucket allows', () => {
    expect(validateAbortRequest({ ...VALID, bucket: DIRECTORY, expectedBucketOwner: '123456789012', ifMatchInitiatedTime: '2026-11-20T10:00:00Z' })).toEqual(
      [],
    );
  });

  it('accepts a request with every optional field a general purpose bucket allows', () => {
    expect(validateAbortRequest({ ...VALID, requestPayer: 'requester', expectedBucketOwner: '123456789012' })).toEqual([]);
  });

  it('names every field as the HTTP API body does', () => {
    expect(ABORT_REQUEST_FIELDS).toEqual(['bucket', 'key', 'uploadId', 'requestPayer', 'expectedBucketOwner', 'ifMatchInitiatedTime', 'idleFor']);
  });

  it('lists every problem, in field order', () => {
    // Act
    const problems = validateAbortRequest({ bucket: 'B', key: '', uploadId: ' ', requestPayer: 'owner', expectedBucketOwner: '1' });

    // Assert
    expect(problems.map((p) => p.field)).toEqual(['bucket', 'key', 'uploadId', 'requestPayer', 'expectedBucketOwner']);
  });

  it.each([
    [{ key: 'k', uploadId: 'u' }, 'bucket'],
    [{ bucket: 'data-lake', uploadId: 'u' }, 'key'],
    [{ bucket: 'data-lake', key: 'k' }, 'uploadId'],
  ])('requires bucket, key and uploadId: %j', (body, field) => {
    expect(validateAbortRequest(body)).toEqual([{ field, rule: 'is required' }]);
  });

  it.each([
    [{ ...VALID, bucket: 1 }, 'bucket', 'must be a string, got number'],
    [{ ...VALID, key: null }, 'key', 'must be a string, got null'],
    [{ ...VALID, uploadId: ['u'] }, 'uploadId', 'must be a string, got an array'],
    [{ ...VALID, expectedBucketOwner: 123456789012 }, 'expectedBucketOwner', 'must be a string, got number'],
    [{ ...VALID, requestPayer: true }, 'requestPayer', 'must be a string, got boolean'],
  ])('refuses a value of the wrong type: %j', (body, field, rule) => {
    expect(validateAbortRequest(body)).toEqual([{ field, rule }]);
  });

  it.each([[null], [[]], ['text'], [42], [undefined]])('refuses %j as no JSON object', (body) => {
    expect(validateAbortRequest(body)).toEqual([{ field: 'body', rule: 'must be a JSON object' }]);
  });

  it('refuses unknown fields, and recheck unless allowed', () => {
    // Act
    const unknown = validateAbortRequest({ ...VALID, uploadID: 'x' });
    const recheckRefused = validateAbortRequest({ ...VALID, recheck: true });
    const recheckAllowed = validateAbortRequest({ ...VALID, recheck: true }, { allowRecheck: true });
    const recheckNoBoolean = validateAbortRequest({ ...VALID, recheck: 'yes' }, { allowRecheck: true });

    // Assert
    expect(unknown).toEqual([{ field: 'uploadID', rule: expect.stringMatching(/^is not a known field/) }]);
    expect(recheckRefused).toEqual([{ field: 'recheck', rule: expect.stringMatching(/^is not a known field/) }]);
    expect(recheckAllowed).toEqual([]);
    expect(recheckNoBoolean).toEqual([{ field: 'recheck', rule: 'must be true or false' }]);
  });

  it('is pure: it neither changes nor keeps its input', () => {
    // Arrange
    const body = { ...VALID, requestPayer: 'requester' };
    const copy = structuredClone(body);

    // Act
    const first = validateAbortRequest(body);
    const second = validateAbortRequest(body);

    // Assert
    expect(body).toEqual(copy);
    expect(first).toEqual(second);
  });
});

describe('prefix', () => {
  it.each([
    ['empty (every key)', ''],
    ['a path', 'logs/2026/'],
    ['non-ASCII', 'données/é😀'],
    ['U+FFFD', 'tmp/\uFFFD'],
    ['1,024 bytes', 'p'.repeat(1024)],
  ])('accepts %s', (_, prefix) => {
    expect(prefixProblem(prefix)).toBeUndefined();
    expect(validateSweepRequest({ targets: [{ bucket: 'data-lake', olderThan: '1d', prefix }] })).toEqual([]);
  });

  it.each([
    ['a lone high surrogate', 'tmp/\uD800', /valid UTF-8/],
    ['a lone low surrogate', '\uDC00x', /valid UTF-8/],
    ['a NUL', 'tmp/\u0000', /control characters \(U\+0000 at 4\)/],
    ['a newline', 'a\nb', /control characters \(U\+000A at 1\)/],
    ['DEL', '\u007f', /control characters \(U\+007F at 0\)/],
    ['a C1 control', 'x\u0085', /control characters \(U\+0085 at 1\)/],
    ['1,025 bytes', 'p'.repeat(1025), /at most 1,024 bytes of UTF-8, got 1025/],
  ])("refuses %s, naming the target's prefix", (_, prefix, rule) => {
    // Act
    const problems = validateSweepRequest({
      targets: [
        { bucket: 'data-lake', olderThan: '1d' },
        { bucket: 'data-lake-2', olderThan: '1d', prefix },
      ],
    });

    // Assert
    expect(problems).toEqual([{ field: 'targets[1].prefix', rule: expect.stringMatching(rule) }]);
  });
});

describe('wholeNumber', () => {
  it.each([
    ['1', 1],
    ['100', 100],
    ['050', 50],
  ])('reads %j as %d', (text, value) => {
    expect(wholeNumber(text, 1, 100)).toEqual({ value });
  });

  it.each(['0x10', '1e2', ' 5', '5 ', '1.0', '+5', '-1', '', '0', '101', '٣', '0b1', '5_0', '99999999999999999999', 'Infinity'])('refuses %j', (text) => {
    expect(wholeNumber(text, 1, 100)).toEqual({ rule: `must be a whole number from 1 to 100 in decimal digits, got ${JSON.stringify(text)}` });
  });
});
