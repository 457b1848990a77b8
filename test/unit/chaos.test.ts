import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { droppedAnswer, serviceErrorAnswer } from '../../emulator/chaos.ts';
import { ChaosController, ruleMatches, seededRandom, validateEffects, validateFaultRule, type FaultRule } from '../../emulator/fault-rules.ts';
import { identifyRequest, s3OperationName, signedRegion, type RequestIdentity } from '../../emulator/wire.ts';

const s3 = (method: string, path: string, headers: Record<string, string> = {}) => s3OperationName(method, new URL(path, 'http://local'), headers);
const AUTHORIZATION = 'AWS4-HMAC-SHA256 Credential=local/20261122/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=abc';

describe('naming the operation of a request', () => {
  it.each([
    ['DELETE', '/bucket/dir/key.bin?uploadId=U1', 'AbortMultipartUpload'],
    ['GET', '/bucket/key?uploadId=U1&max-parts=1', 'ListParts'],
    ['GET', '/bucket?uploads', 'ListMultipartUploads'],
    ['GET', '/bucket/?uploads=&key-marker=a', 'ListMultipartUploads'],
    ['POST', '/bucket/key?uploads', 'CreateMultipartUpload'],
    ['POST', '/bucket/key?uploadId=U1', 'CompleteMultipartUpload'],
    ['PUT', '/bucket/key?partNumber=2&uploadId=U1', 'UploadPart'],
    ['GET', '/', 'ListBuckets'],
    ['PUT', '/bucket', 'CreateBucket'],
    ['HEAD', '/bucket', 'HeadBucket'],
    ['GET', '/bucket?list-type=2&prefix=a', 'ListObjectsV2'],
    ['GET', '/bucket', 'ListObjects'],
    ['GET', '/bucket/key', 'GetObject'],
    ['HEAD', '/bucket/a/b/c', 'HeadObject'],
    ['DELETE', '/bucket/key', 'DeleteObject'],
    ['POST', '/bucket?delete', 'DeleteObjects'],
    ['PUT', '/bucket/key', 'PutObject'],
  ])('S3 %s %s is %s', (method, path, operation) => {
    expect(s3(method, path)).toBe(operation);
  });

  it('tells copies from uploads by the x-amz-copy-source header', () => {
    expect(s3('PUT', '/b/k?partNumber=1&uploadId=U', { 'x-amz-copy-source': '/b/src' })).toBe('UploadPartCopy');
    expect(s3('PUT', '/b/k', { 'x-amz-copy-source': '/b/src' })).toBe('CopyObject');
  });

  it('names DynamoDB and Step Functions operations after X-Amz-Target, and reads the region from the SigV4 scope', () => {
    // Act
    const update = identifyRequest({ method: 'POST', url: '/', headers: { 'x-amz-target': 'DynamoDB_20120810.UpdateItem', authorization: AUTHORIZATION } });
    const start = identifyRequest({ method: 'POST', url: '/', headers: { 'x-amz-target': 'AWSStepFunctions.StartExecution' } });
    const abort = identifyRequest({ method: 'DELETE', url: '/b/k?uploadId=U', headers: { authorization: AUTHORIZATION } });

    // Assert
    expect(update).toEqual({ service: 'dynamodb', operation: 'UpdateItem', region: 'eu-west-1' });
    expect(start).toEqual({ service: 'stepfunctions', operation: 'StartExecution', region: undefined });
    expect(abort).toEqual({ service: 's3', operation: 'AbortMultipartUpload', region: 'eu-west-1', bucket: 'b' });
  });

  it("names an S3 request's bucket: the first segment of its path-style path, percent-decoded; none for ListBuckets", () => {
    expect(identifyRequest({ method: 'GET', url: '/data-a?uploads', headers: {} }).bucket).toBe('data-a');
    expect(identifyRequest({ method: 'GET', url: '/data-a/dir/k%2Fx?uploadId=U', headers: {} }).bucket).toBe('data-a');
    expect(identifyRequest({ method: 'GET', url: '/my%2Dbucket/k', headers: {} }).bucket).toBe('my-bucket');
    expect(identifyRequest({ method: 'GET', url: '/', headers: {} })).toEqual({ service: 's3', operation: 'ListBuckets', region: undefined });
    expect(identifyRequest({ method: 'POST', url: '/', headers: { 'x-amz-target': 'DynamoDB_20120810.PutItem' } }).bucket).toBeUndefined();
  });

  it('reads the region of a presigned URL', () => {
    const url = new URL('http://local/b/k?X-Amz-Credential=local%2F20261122%2Fap-south-1%2Fs3%2Faws4_request');
    expect(signedRegion({}, url)).toBe('ap-south-1');
  });
});

describe('fault rules', () => {
  const listParts: RequestIdentity = { service: 's3', operation: 'ListParts', region: 'us-east-1', bucket: 'data-a' };

  it.each<[FaultRule, boolean]>([
    [{}, true],
    [{ service: 's3' }, true],
    [{ service: 'S3', operation: 'listParts' }, true],
    [{ service: 'dynamodb' }, false],
    [{ operation: 'AbortMultipartUpload' }, false],
    [{ region: 'us-east-1' }, true],
    [{ region: 'eu-west-1' }, false],
    [{ bucket: 'data-a' }, true],
    [{ service: 's3', bucket: 'data-a', operation: 'ListParts' }, true],
    [{ bucket: 'data-b' }, false],
    [{ bucket: 'DATA-A' }, false],
  ])('rule %j matches ListParts in us-east-1: %s', (rule, expected) => {
    expect(ruleMatches(rule, listParts)).toBe(expected);
  });

  it('answers the first rule that takes the request, 503 ServiceUnavailable by default, and counts per rule and operation', () => {
    // Arrange
    const noSuchUpload = { service: 's3', operation: 'ListParts', error: { statusCode: 404, code: 'NoSuchUpload' } };
    const chaos = new ChaosController({ faults: [{ service: 'dynamodb' }, noSuchUpload, {}] });

    // Act
    const first = chaos.decide(listParts);
    const second = chaos.decide({ service: 'dynamodb', operation: 'UpdateItem' });

    // Assert
    expect(first).toEqual({ kind: 'error', after: false, error: { statusCode: 404, code: 'NoSuchUpload' } });
    expect(second).toEqual({ kind: 'error', after: false, error: { statusCode: 503, code: 'ServiceUnavailable' } });
    expect(chaos.counts()).toMatchObject({ injected: 2, operations: { 's3:ListParts': 1, 'dynamodb:UpdateItem': 1 } });
    expect(chaos.faults().map((r) => r.injected)).toEqual([1, 1, 0]);
  });

  it('stops a rule after `times` injections and lets the next rules try', () => {
    // Arrange
    const chaos = new ChaosController({
      faults: [
        { operation: 'ListParts', drop: true, times: 2 },
        { operation: 'ListParts', reset: true, after: true },
      ],
    });

    // Act
    const actions = Array.from({ length: 3 }, () => chaos.decide(listParts)?.kind);

    // Assert
    expect(actions).toEqual(['drop', 'drop', 'reset']);
    expect(chaos.decide(listParts)).toEqual({ kind: 'reset', after: true });
  });

  it('fails only the requests to the bucket a rule names; a request without a bucket (DynamoDB) never matches such a rule', () => {
    // Arrange
    const chaos = new ChaosController({ faults: [{ service: 's3', bucket: 'data-a', error: { statusCode: 503, code: 'SlowDown' } }] });

    // Act, Assert
    expect(chaos.decide(listParts)).toEqual({ kind: 'error', after: false, error: { statusCode: 503, code: 'SlowDown' } });
    expect(chaos.decide({ ...listParts, bucket: 'data-b' })).toBeUndefined();
    expect(new ChaosController({ faults: [{ bucket: 'data-a' }] }).decide({ service: 'dynamodb', operation: 'PutItem' })).toBeUndefined();
    expect(chaos.counts()).toMatchObject({ injected: 1, rules: [{ bucket: 'data-a', injected: 1 }] });
  });

  it('refuses a bucket that is not a non-empty string, naming the field', () => {
    expect(() => validateFaultRule({ bucket: '' })).toThrow('rule.bucket: must be a non-empty string');
    expect(() => validateFaultRule({ bucket: 7 })).toThrow('rule.bucket: must be a non-empty string');
    expect(validateFaultRule({ bucket: 'data-a', probability: 0.3 })).toEqual({ bucket: 'data-a', probability: 0.3 });
  });

  it('never injects at probability 0 and always at 1', () => {
    const never = new ChaosController({ faults: [{ probability: 0 }] });
    const always = new ChaosController({ faults: [{ probability: 1 }] });
    for (let i = 0; i < 50; i++) {
      expect(never.decide(listParts)).toBeUndefined();
      expect(always.decide(listParts)).toBeDefined();
    }
  });

  it('repeats the same pattern for the same seed (property: any seed, any probability)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.string()), fc.double({ min: 0, max: 1, noNaN: true }), (seed, probability) => {
        const pattern = () => {
          const chaos = new ChaosController({ seed, faults: [{ operation: 'ListParts', probability }] });
          return Array.from({ length: 40 }, () => chaos.decide(listParts) !== undefined);
        };
        expect(pattern()).toEqual(pattern());
      }),
    );
  });

  it('restarts the random streams when the seed is set again, and a rule seed does not depend on the global one', () => {
    // Arrange
    const chaos = new ChaosController({ seed: 7, faults: [{ probability: 0.5 }] });
    const run = () => Array.from({ length: 30 }, () => chaos.decide(listParts) !== undefined);
    const own = (global: number) => {
      const c = new ChaosController({ seed: global, faults: [{ probability: 0.5, seed: 'mine' }] });
      return Array.from({ length: 30 }, () => c.decide(listParts) !== undefined);
    };

    // Act
    const first = run();
    chaos.setSeed(7);
    const again = run();

    // Assert
    expect(again).toEqual(first);
    expect(first).toContain(true);
    expect(first).toContain(false);
    expect(own(1)).toEqual(own(2));
  });

  it('injects about as often as the probability says', () => {
    const random = seededRandom('frequency');
    const hits = Array.from({ length: 10_000 }, () => random() < 0.3).filter(Boolean).length;
    expect(hits / 10_000).toBeCloseTo(0.3, 1);
  });

  it('PATCH appends, DELETE removes equal rules only (counts ignored), POST replaces and restarts counts', () => {
    // Arrange
    const chaos = new ChaosController({ faults: [{ service: 's3' }] });
    chaos.decide(listParts);

    // Act
    chaos.addFaults([{ service: 'dynamodb' }, { service: 's3', operation: 'ListParts' }]);
    const afterDelete = chaos.removeFaults([{ service: 's3', injected: 1 } as FaultRule]);
    const replaced = chaos.setFaults([{ service: 'events' }]);

    // Assert
    expect(afterDelete).toEqual([
      { service: 'dynamodb', injected: 0 },
      { service: 's3', operation: 'ListParts', injected: 0 },
    ]);
    expect(replaced).toEqual([{ service: 'events', injected: 0 }]);
    expect(chaos.counts()).toEqual({ injected: 0, rules: replaced, operations: {} });
  });

  it.each([
    [{ probability: 2 }, 'probability'],
    [{ error: { statusCode: 200 } }, 'statusCode'],
    [{ error: { statusCode: 503, reason: 'x' } }, 'reason'],
    [{ drop: true, after: true }, 'drop'],
    [{ reset: true, error: { code: 'X' } }, 'reset'],
    [{ times: 0 }, 'times'],
    [{ servce: 's3' }, 'servce'],
    [{ after: 'yes' }, 'after'],
    ['s3', 'object'],
  ])('refuses %j (naming %s)', (rule, word) => {
    expect(() => validateFaultRule(rule)).toThrow(word);
  });

  it('checks network effects', () => {
    expect(validateEffects({ latency: 250 })).toEqual({ latency: 250 });
    expect(() => validateEffects({ latency: -1 })).toThrow(/latency/);
    expect(() => validateEffects({ jitter: 5 })).toThrow(/jitter/);
  });
});

describe("answers in each service's wire format", () => {
  it('writes an S3 error as an XML <Error> with Code, Message and RequestId', () => {
    // Act
    const answer = serviceErrorAnswer('s3', { statusCode: 503, code: 'SlowDown', message: 'Please reduce your request rate & retry.' }, 'req-1');

    // Assert
    expect(answer.status).toBe(503);
    expect(answer.headers['content-type']).toBe('application/xml');
    expect(answer.body).toContain('<Error><Code>SlowDown</Code><Message>Please reduce your request rate &amp; retry.</Message><RequestId>req-1</RequestId>');
  });

  it('writes a DynamoDB error as AWS JSON with the service namespace in __type', () => {
    // Act
    const answer = serviceErrorAnswer('dynamodb', { statusCode: 400, code: 'ProvisionedThroughputExceededException' }, 'req-2');

    // Assert
    expect(answer).toMatchObject({ status: 400, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'req-2' } });
    expect(JSON.parse(answer.body)).toEqual({
      __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
      message: expect.stringContaining('ProvisionedThroughputExceededException'),
    });
  });

  it('answers a dropped S3 DELETE with 204 and a dropped DynamoDB call with {}', () => {
    expect(droppedAnswer({ service: 's3', operation: 'AbortMultipartUpload', method: 'DELETE' })).toMatchObject({ status: 204, body: '' });
    expect(droppedAnswer({ service: 'dynamodb', operation: 'PutItem', method: 'POST' })).toMatchObject({ status: 200, body: '{}' });
  });
});
