import { describe, expect, it } from 'vitest';
import {
  awsJsonErrorBody,
  forwardedRequestHeaders,
  forwardedResponseHeaders,
  paginate,
  parseTarget,
  SFN_ERROR_NAMESPACE,
  toAwsJson,
  toEpochSeconds,
} from '../../emulator/endpoint.ts';

describe('AWS JSON protocol helpers', () => {
  it('writes an error as __type "<namespace>#<Code>" with a message, which SDKs cut after the #', () => {
    // Arrange / Act
    const body = JSON.parse(awsJsonErrorBody('ExecutionDoesNotExist', 'Execution Does Not Exist: x', SFN_ERROR_NAMESPACE));

    // Assert
    expect(body).toEqual({ __type: 'com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist', message: 'Execution Does Not Exist: x' });
    expect(JSON.parse(awsJsonErrorBody('Boom', 'm')).__type).toBe('Boom');
  });

  it('turns Dates into epoch seconds with milliseconds as the fraction', () => {
    // Arrange
    const date = new Date('2024-11-22T18:13:20.123Z');

    // Act
    const seconds = toEpochSeconds(date);

    // Assert
    expect(seconds).toBe(1732299200.123);
  });

  it('converts nested Dates, drops undefined members and keeps other values', () => {
    // Arrange
    const value = {
      startDate: new Date(1_000_500),
      stopDate: undefined,
      status: 'RUNNING',
      n: 0,
      flag: false,
      nothing: null,
      events: [{ timestamp: new Date(2_000), details: { when: new Date(3_250) } }],
    };

    // Act
    const json = toAwsJson(value);

    // Assert
    expect(json).toEqual({ startDate: 1000.5, status: 'RUNNING', n: 0, flag: false, nothing: null, events: [{ timestamp: 2, details: { when: 3.25 } }] });
    expect(Object.keys(json as object)).not.toContain('stopDate');
  });

  it('splits X-Amz-Target into a known prefix and the action', () => {
    // Arrange
    const prefixes = ['AWSStepFunctions.', 'AWSEvents.'];

    // Act / Assert
    expect(parseTarget('AWSStepFunctions.StartExecution', prefixes)).toEqual({ prefix: 'AWSStepFunctions.', action: 'StartExecution' });
    expect(parseTarget('AWSEvents.PutEvents', prefixes)).toEqual({ prefix: 'AWSEvents.', action: 'PutEvents' });
    expect(parseTarget('DynamoDB_20120810.GetItem', prefixes)).toBeUndefined();
    expect(parseTarget(undefined, prefixes)).toBeUndefined();
  });

  it('pages with index tokens and refuses a token it did not hand out', () => {
    // Arrange
    const items = [1, 2, 3, 4, 5];

    // Act
    const first = paginate(items, 2, undefined);
    const last = paginate(items, 2, '4');

    // Assert
    expect(first).toEqual({ page: [1, 2], nextToken: '2' });
    expect(last).toEqual({ page: [5], nextToken: undefined });
    expect(() => paginate(items, 2, 'garbage')).toThrow(expect.objectContaining({ code: 'InvalidToken' }));
  });

  it('rewrites Host for moto, keeps signature headers, drops hop-by-hop headers both ways', () => {
    // Arrange
    const headers = {
      host: '127.0.0.1:4566',
      authorization: 'AWS4-HMAC-SHA256 …',
      'x-amz-date': '20241122T000000Z',
      connection: 'keep-alive',
      expect: '100-continue',
      'content-length': '5',
    };

    // Act
    const forwarded = forwardedRequestHeaders(headers, '127.0.0.1:5000');
    const back = forwardedResponseHeaders({ connection: 'close', 'content-type': 'application/xml', 'x-amz-request-id': 'r' });

    // Assert
    expect(forwarded).toEqual({
      host: '127.0.0.1:5000',
      'x-forwarded-host': '127.0.0.1:4566',
      authorization: 'AWS4-HMAC-SHA256 …',
      'x-amz-date': '20241122T000000Z',
      'content-length': '5',
    });
    expect(back).toEqual({ 'content-type': 'application/xml', 'x-amz-request-id': 'r' });
  });
});
