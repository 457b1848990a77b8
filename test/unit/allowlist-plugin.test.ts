/** plugins/allowlist.cjs: the one allowlist param, read as a list or as the command line's string, and its forms. */
import { describe, expect, it } from 'vitest';
import { parseAllowlist } from '../../lib/allowlist.ts';
import { allowlistPlugin } from '../support/template/stack.ts';

const { parseAllowedBuckets, allowlistForms, parseKmsKeyArns } = allowlistPlugin;

describe('allowedBuckets', () => {
  it('reads a YAML list and the comma-separated string of --param alike', () => {
    expect(parseAllowedBuckets(['my-logs', 'my-data-*'], 'prod')).toEqual(['my-logs', 'my-data-*']);
    expect(parseAllowedBuckets('my-logs, my-data-*', 'prod')).toEqual(['my-logs', 'my-data-*']);
    expect(parseAllowedBuckets('my-logs', 'prod')).toEqual(['my-logs']);
  });

  it.each([
    [null, /^allowedBuckets is not set for stage "prod": .*--param="allowedBuckets=my-logs,my-data-\*"$/],
    ['', /^allowedBuckets is not set for stage "prod"/],
    [[], /^allowedBuckets is empty for stage "prod"/],
    [' , ', /^allowedBuckets is empty for stage "prod"/],
    ['My_Logs', /^allowedBuckets: "My_Logs" is neither a bucket name nor a prefix ending in "\*", e\.g\. /],
    [['my-logs', 'a*b'], /^allowedBuckets: "a\*b" is neither/],
    [[{ prefix: 'x-' }], /^allowedBuckets: \{"prefix":"x-"\} is neither/],
    [{ a: 1 }, /^allowedBuckets must be a list/],
  ])('refuses %j with one line naming allowedBuckets and an example', (value, message) => {
    expect(() => parseAllowedBuckets(value, 'prod')).toThrow(message);
    try {
      parseAllowedBuckets(value, 'prod');
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('accepts exactly what the functions accept at run time (lib/allowlist.ts)', () => {
    for (const pattern of ['a', 'my.bucket-1', 'logs-*', '*'])
      expect(parseAllowlist(parseAllowedBuckets([pattern], 's').join(',')).patterns).toEqual([pattern]);
    for (const pattern of ['A', '-a', 'a*b', 'a_b']) {
      expect(() => parseAllowedBuckets([pattern], 's'), pattern).toThrow(/allowedBuckets/);
      expect(() => parseAllowlist(pattern), pattern).toThrow(/ALLOWED_BUCKETS/);
    }
  });

  it('derives the csv, object and bucket ARNs in the deploying partition, and EventBridge matchers', () => {
    expect(allowlistForms(['my-logs', 'my-data-*', '*'])).toEqual({
      csv: 'my-logs,my-data-*,*',
      objectArns: [
        { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::my-logs/*' },
        { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::my-data-*/*' },
        { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::*/*' },
      ],
      bucketArns: [
        { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::my-logs' },
        { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::my-data-*' },
        { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::*' },
      ],
      matchers: ['my-logs', { prefix: 'my-data-' }, { exists: true }],
    });
  });
});

describe('kmsKeyArns', () => {
  const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  it('is any key (still only through S3) unless key ARNs are given, as a list or a string', () => {
    expect(parseKmsKeyArns(null)).toEqual(['*']);
    expect(parseKmsKeyArns('')).toEqual(['*']);
    expect(parseKmsKeyArns(`${KEY}, ${KEY.replace('eu-west-1', 'us-east-1')}`)).toEqual([KEY, KEY.replace('eu-west-1', 'us-east-1')]);
    expect(parseKmsKeyArns([KEY])).toEqual([KEY]);
  });

  it.each(['alias/my-key', 'arn:aws:kms:eu-west-1:111122223333:alias/my-key', '1234abcd-12ab-34cd-56ef-1234567890ab'])(
    'refuses %s: kms:Decrypt is authorised on key ARNs',
    (value) => {
      expect(() => parseKmsKeyArns(value)).toThrow(/^kmsKeyArns: .* is not a KMS key ARN, e\.g\. --param="kmsKeyArns=arn:aws:kms:/);
    },
  );
});
