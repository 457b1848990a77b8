import { describe, expect, it } from 'vitest';
import { applyInputPath, matchesPattern, type EventPattern } from '../../emulator/event-input.ts';

const pattern: EventPattern = {
  source: ['mpu-reaper'],
  'detail-type': ['Abort Multipart Upload Requested'],
  detail: { bucket: [{ exists: true }], key: [{ exists: true }], uploadId: [{ exists: true }] },
};
const event = (detail: Record<string, unknown>, overrides: Record<string, unknown> = {}) => ({
  version: '0',
  id: 'e1',
  'detail-type': 'Abort Multipart Upload Requested',
  source: 'mpu-reaper',
  detail,
  ...overrides,
});

describe('matchesPattern', () => {
  it('matches an abort request that names bucket, key and upload id', () => {
    expect(matchesPattern(pattern, event({ bucket: 'b', key: 'k', uploadId: 'u' }))).toBe(true);
  });

  it.each([
    ['another source', event({ bucket: 'b', key: 'k', uploadId: 'u' }, { source: 'someone-else' })],
    ['another detail-type', event({ bucket: 'b', key: 'k', uploadId: 'u' }, { 'detail-type': 'Sweep Requested' })],
    ['a missing uploadId', event({ bucket: 'b', key: 'k' })],
    ['no detail object', event({}, { detail: 'text' })],
  ])('does not match %s', (_, candidate) => {
    expect(matchesPattern(pattern, candidate)).toBe(false);
  });

  it.each([
    [{ prefix: 'logs-' }, 'logs-2026', true],
    [{ prefix: 'logs-' }, 'data', false],
    [{ suffix: '.tmp' }, 'a.tmp', true],
    [{ 'anything-but': ['x'] }, 'y', true],
    [{ 'anything-but': 'x' }, 'x', false],
    [{ 'equals-ignore-case': 'ABC' }, 'abc', true],
    [{ exists: false }, undefined, true],
  ])('supports %j on %s', (matcher, value, expected) => {
    const candidate = value === undefined ? {} : { field: value };
    expect(matchesPattern({ field: [matcher] }, candidate)).toBe(expected);
  });

  it('matches any element of an array value', () => {
    expect(matchesPattern({ resources: ['arn:x'] }, { resources: ['arn:y', 'arn:x'] })).toBe(true);
  });

  it('refuses a matcher it does not implement instead of matching silently', () => {
    expect(() => matchesPattern({ n: [{ numeric: ['>', 1] }] }, { n: 2 })).toThrow(/does not support the "numeric" matcher/);
  });
});

describe('applyInputPath', () => {
  it('selects the detail, as the rule target InputPath "$.detail" does', () => {
    expect(applyInputPath(event({ bucket: 'b' }), '$.detail')).toEqual({ bucket: 'b' });
    expect(applyInputPath({ a: 1 }, undefined)).toEqual({ a: 1 });
  });

  it('refuses paths it cannot evaluate exactly', () => {
    expect(() => applyInputPath({}, '$.detail[0]')).toThrow(/supports \$\.a\.b paths only/);
  });
});

describe('rules read from serverless.yml', () => {
  it("resolves every state machine's patterns, the allowlist params of the deadline rule included", async () => {
    // Arrange
    const { stateMachineRulesFromServerlessYml } = await import('../../emulator/eventbridge-rules.ts');

    // Act
    const [abort] = stateMachineRulesFromServerlessYml('abortUpload');
    const [sweep] = stateMachineRulesFromServerlessYml('sweepUploads');
    const [deadline] = stateMachineRulesFromServerlessYml('abortAfterDeadline');
    const cloudTrail = (bucketName: string, extra: object = {}) => ({
      source: 'aws.s3',
      'detail-type': 'AWS API Call via CloudTrail',
      detail: {
        eventSource: 's3.amazonaws.com',
        eventName: 'CreateMultipartUpload',
        requestParameters: { bucketName, key: 'k' },
        responseElements: {},
        ...extra,
      },
    });

    // Assert
    expect(abort).toMatchObject({
      inputTransformer: { InputPathsMap: { detail: '$.detail' }, InputTemplate: '{"request": <detail>, "trigger": "event"}' },
      pattern: { source: ['mpu-reaper'], 'detail-type': ['Abort Multipart Upload Requested'] },
    });
    expect(sweep).toMatchObject({
      inputTransformer: { InputPathsMap: { detail: '$.detail' }, InputTemplate: '{"request": <detail>, "trigger": "event"}' },
      pattern: { 'detail-type': ['Sweep Requested'] },
    });
    expect(matchesPattern(deadline.pattern, cloudTrail('mpu-reaper-data'))).toBe(true);
    expect(matchesPattern(deadline.pattern, cloudTrail('someone-elses-bucket'))).toBe(false);
    expect(matchesPattern(deadline.pattern, cloudTrail('mpu-reaper-data', { errorCode: 'AccessDenied' }))).toBe(false);
  });
});
