/**
 * Property-based tests (fast-check) of the one input validator: what it accepts round-trips, what it must refuse it
 * refuses whatever surrounds it, and it never throws on any JSON. S3's bucket rules are written out again here, on
 * their own, as the oracle (S3 User Guide, "General purpose bucket naming rules" and "Directory bucket naming rules").
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  bucketProblem,
  keyProblem,
  parseRunInput,
  runInput,
  uploadIdProblem,
  validateAbortRequest,
  type AbortRequest,
  type RunTrigger,
} from '../../lib/validation.ts';

const LOWER_DIGITS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--table-s3'];

/** S3's rules, independently of lib/validation.ts (both kinds of bucket: the reserved prefixes apply to directory buckets too) */
function followsS3Rules(name: string): boolean {
  if (name.length < 3 || name.length > 63 || RESERVED_PREFIXES.some((p) => name.startsWith(p))) return false;
  if (/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?--[a-z0-9]+(?:-[a-z0-9]+)+--x-s3$/.test(name)) return true; // directory bucket
  return (
    /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name) /* formatted as an IPv4 address */ &&
    !RESERVED_SUFFIXES.some((s) => name.endsWith(s)) &&
    !name.endsWith('--x-s3')
  );
}

const alnum = fc.constantFrom(...LOWER_DIGITS);
const label = fc.string({ unit: alnum, minLength: 1, maxLength: 12 });
/** general purpose bucket names: labels joined by "." or "-" */
const generalBucket = fc
  .tuple(label, fc.array(fc.tuple(fc.constantFrom('.', '-', '--'), label), { maxLength: 4 }))
  .map(([first, rest]) => first + rest.map(([sep, l]) => sep + l).join(''))
  .filter(followsS3Rules)
  .filter((name) => !name.includes('--x-s3'));
const directoryBucket = fc
  .tuple(label, fc.constantFrom('use1-az4', 'usw2-az1', 'usw2-lax1-az1', 'apne1-az4'))
  .map(([base, zone]) => `${base}--${zone}--x-s3`)
  // a base "xn" makes the reserved prefix xn-- (S3's naming rules hold for directory buckets too)
  .filter((name) => name.length <= 63 && !/^(xn--|sthree-|amzn-s3-demo-)/.test(name));
const key = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 100 }).filter((k) => !k.includes('\uFFFD') && Buffer.byteLength(k) <= 1024);
const UPLOAD_ID_CHARS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter((c) => c !== '/');
const uploadId = fc.string({ unit: fc.constantFrom(...UPLOAD_ID_CHARS), minLength: 1, maxLength: 200 });
const owner = fc.stringMatching(/^\d{12}$/);
const time = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString());

/** every request the validator must accept: requester pays on general purpose buckets, IfMatchInitiatedTime on directory buckets */
const validRequest: fc.Arbitrary<AbortRequest> = fc.oneof(
  fc.record(
    { bucket: generalBucket, key, uploadId, requestPayer: fc.constant('requester' as const), expectedBucketOwner: owner },
    { requiredKeys: ['bucket', 'key', 'uploadId'] },
  ),
  fc.record(
    { bucket: directoryBucket, key, uploadId, expectedBucketOwner: owner, ifMatchInitiatedTime: time },
    { requiredKeys: ['bucket', 'key', 'uploadId'] },
  ),
);

describe('the input validator, property-based', () => {
  it('accepts every valid request, and it round-trips through runInput → JSON → parseRunInput', () => {
    fc.assert(
      fc.property(
        validRequest,
        fc.constantFrom<RunTrigger>('api', 'cli', 'event', 'deadline', 'direct', 'sweep'),
        fc.boolean(),
        fc.boolean(),
        (request, trigger, recheck, dryRun) => {
          // Arrange
          const sweepId = trigger === 'sweep' ? 'sweep-1' : undefined;

          // Act
          const parsed = parseRunInput(JSON.parse(JSON.stringify(runInput(request, trigger, { recheck, dryRun, sweepId }))));

          // Assert
          expect(validateAbortRequest(request)).toEqual([]);
          expect(parsed.problems).toEqual([]);
          expect(parsed.run).toEqual({ request, trigger, recheck, dryRun, ...(sweepId ? { sweepId } : {}) });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses any uploadId with "/" or a control character, wherever it stands', () => {
    const bad = fc.oneof(
      fc.constant('/'),
      fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c)),
      fc.constant('\u007f'),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), bad, fc.string({ maxLength: 50 }), (before, character, after) => {
        // Arrange
        const id = before + character + after;

        // Act
        const rule = uploadIdProblem(id);
        const parsed = parseRunInput({ request: { bucket: 'data-lake', key: 'k', uploadId: id }, trigger: 'event' });

        // Assert
        expect(rule).toBeDefined();
        expect(parsed.run).toBeUndefined();
        expect(parsed.problems.map((p) => p.field)).toContain('request.uploadId');
      }),
      { numRuns: 500 },
    );
  });

  it("never accepts a bucket name that breaks S3's rules", () => {
    const edge = fc.constantFrom(
      '',
      '-',
      '.',
      '..',
      'xn--',
      'sthree-',
      'amzn-s3-demo-',
      '-s3alias',
      '--ol-s3',
      '.mrap',
      '--table-s3',
      '--x-s3',
      '--use1-az4--x-s3',
      '192.168.0.1',
      'A',
      '_',
      ' ',
    );
    const piece = fc.oneof(edge, fc.string({ unit: fc.constantFrom(...'ab9.-_A'), maxLength: 8 }), label);
    const affixed = fc
      .tuple(
        fc.constantFrom('', '-', '.', 'A', ...RESERVED_PREFIXES),
        fc.oneof(label, piece),
        fc.constantFrom('', '-', '.', '--x-s3', '--use1-az4--x-s3', ...RESERVED_SUFFIXES),
      )
      .map(([prefix, body, suffix]) => prefix + body + suffix);
    const name = fc.oneof(
      affixed,
      fc.array(piece, { maxLength: 5 }).map((pieces) => pieces.join('')),
      fc.string({ maxLength: 70 }),
    );
    fc.assert(
      fc.property(name, (bucket) => {
        if (bucketProblem(bucket) === undefined) expect(followsS3Rules(bucket), bucket).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it.each(['xn--data--use1-az4--x-s3', 'sthree-data--use1-az4--x-s3', 'amzn-s3-demo-data--usw2-az1--x-s3'])(
    'refuses the directory bucket name %s (reserved prefix)',
    (bucket) => {
      expect(bucketProblem(bucket)).toMatch(/reserved prefix/);
    },
  );

  it("accepts every name S3's rules allow (general purpose and directory buckets)", () => {
    fc.assert(
      fc.property(fc.oneof(generalBucket, directoryBucket), (bucket) => {
        expect(bucketProblem(bucket)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('measures keys in UTF-8 bytes: any key of 1 to 1,024 bytes of valid UTF-8 passes, any longer one does not', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 600 }).filter((k) => !k.includes('\uFFFD')),
        (k) => {
          expect(keyProblem(k) === undefined).toBe(Buffer.byteLength(k, 'utf8') <= 1024);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on any JSON, and answers either a run or its problems', () => {
    const known = fc.record(
      {
        bucket: fc.jsonValue(),
        key: fc.jsonValue(),
        uploadId: fc.jsonValue(),
        requestPayer: fc.jsonValue(),
        expectedBucketOwner: fc.jsonValue(),
        ifMatchInitiatedTime: fc.jsonValue(),
        recheck: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    const input = fc.oneof(
      fc.jsonValue(),
      known,
      fc.record({ request: fc.oneof(known, fc.jsonValue()), trigger: fc.jsonValue(), sweepId: fc.jsonValue(), dryRun: fc.jsonValue() }, { requiredKeys: [] }),
    );
    fc.assert(
      fc.property(input, (value) => {
        // Act
        const problems = validateAbortRequest(value);
        const withRecheck = validateAbortRequest(value, { allowRecheck: true });
        const parsed = parseRunInput(value);

        // Assert
        for (const list of [problems, withRecheck, parsed.problems]) {
          for (const p of list) expect(p).toEqual({ field: expect.any(String), rule: expect.any(String) });
        }
        expect(parsed.run === undefined).toBe(parsed.problems.length > 0);
      }),
      { numRuns: 1000 },
    );
  });
});
