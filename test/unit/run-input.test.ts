/**
 * The execution input of abort-upload: runInput builds it (API, CLI, sweeps, deadline runs), parseRunInput checks it
 * in the workflow's first state (events and bare StartExecution calls too). One validator, the same rules everywhere.
 */
import { describe, expect, it } from 'vitest';
import { parseRunInput, runInput, RUN_TRIGGERS } from '../../lib/validation.ts';

const REQUEST = { bucket: 'data-lake', key: 'a/b.bin', uploadId: 'VXBsb2FkIElE' };

describe('parseRunInput', () => {
  it('accepts the envelope, with defaults for the flags', () => {
    // Act
    const parsed = parseRunInput({ request: REQUEST, trigger: 'event' });

    // Assert
    expect(parsed).toEqual({ problems: [], run: { request: REQUEST, trigger: 'event', recheck: false, dryRun: false } });
  });

  it('calls a run without a trigger "direct"', () => {
    expect(parseRunInput({ request: REQUEST }).run?.trigger).toBe('direct');
  });

  it("takes the flags, a sweep's id, and the parent execution Step Functions adds to a nested run", () => {
    // Act
    const parsed = parseRunInput({
      request: REQUEST,
      trigger: 'sweep',
      sweepId: 'sweep-2026_11',
      recheck: true,
      dryRun: true,
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: 'arn:aws:states:us-east-1:111122223333:execution:sweep:1',
    });

    // Assert
    expect(parsed.problems).toEqual([]);
    expect(parsed.run).toEqual({ request: REQUEST, trigger: 'sweep', sweepId: 'sweep-2026_11', recheck: true, dryRun: true });
  });

  it.each([
    ['no object', 'text', [{ field: 'input', rule: 'must be a JSON object' }]],
    ['null', null, [{ field: 'input', rule: 'must be a JSON object' }]],
    ['an array', [REQUEST], [{ field: 'input', rule: 'must be a JSON object' }]],
    ['no request', { trigger: 'api' }, [{ field: 'request', rule: 'is required' }]],
    ['a request that is no object', { request: 'b/k/u' }, [{ field: 'request', rule: 'must be a JSON object' }]],
    [
      'a request field with a problem',
      { request: { ...REQUEST, uploadId: 'U/a' } },
      [{ field: 'request.uploadId', rule: expect.stringMatching(/without "\/"/) }],
    ],
    [
      'an unknown request field',
      { request: { ...REQUEST, recheck: true } },
      [{ field: 'request.recheck', rule: expect.stringMatching(/^is not a known field/) }],
    ],
    ['an unknown envelope field', { request: REQUEST, owner: 'me' }, [{ field: 'owner', rule: expect.stringMatching(/^is not a known field/) }]],
    ['a trigger that is no trigger', { request: REQUEST, trigger: 'root' }, [{ field: 'trigger', rule: `must be one of ${RUN_TRIGGERS.join(', ')}` }]],
    ['a trigger that is no string', { request: REQUEST, trigger: 1 }, [{ field: 'trigger', rule: expect.stringMatching(/^must be one of/) }]],
    ['a string recheck', { request: REQUEST, recheck: 'true' }, [{ field: 'recheck', rule: 'must be true or false' }]],
    ['a numeric dryRun', { request: REQUEST, dryRun: 1 }, [{ field: 'dryRun', rule: 'must be true or false' }]],
    [
      'a sweepId from outside a sweep',
      { request: REQUEST, trigger: 'api', sweepId: 'sweep-1' },
      [{ field: 'sweepId', rule: 'is set by sweeps only (trigger "sweep")' }],
    ],
    ['a sweep without its id', { request: REQUEST, trigger: 'sweep' }, [{ field: 'sweepId', rule: 'is required with trigger "sweep"' }]],
    [
      'a sweepId that is no execution name',
      { request: REQUEST, trigger: 'sweep', sweepId: 'a/b' },
      [{ field: 'sweepId', rule: expect.stringMatching(/^must be a sweep id/) }],
    ],
    [
      'a sweepId of 81 characters',
      { request: REQUEST, trigger: 'sweep', sweepId: 's'.repeat(81) },
      [{ field: 'sweepId', rule: expect.stringMatching(/^must be a sweep id/) }],
    ],
  ])('refuses %s, and returns no run', (_, input, problems) => {
    // Act
    const parsed = parseRunInput(input);

    // Assert
    expect(parsed.problems).toEqual(problems);
    expect(parsed.run).toBeUndefined();
  });

  it('lists every problem of the envelope and of its request', () => {
    // Act
    const parsed = parseRunInput({ request: { bucket: 'B', key: 'k' }, trigger: 'x', dryRun: 'no', extra: 1 });

    // Assert
    expect(parsed.problems.map((p) => p.field)).toEqual(['extra', 'request.bucket', 'request.uploadId', 'trigger', 'dryRun']);
  });
});

describe('runInput', () => {
  it('orders the fields the same way whatever order the request came in (StartExecution compares inputs as text)', () => {
    // Arrange
    const shuffled = { expectedBucketOwner: '111122223333', uploadId: 'u', requestPayer: 'requester' as const, key: 'k', bucket: 'data-lake' };

    // Act
    const text = JSON.stringify(runInput(shuffled, 'api'));

    // Assert
    expect(text).toBe(
      '{"request":{"bucket":"data-lake","key":"k","uploadId":"u","requestPayer":"requester","expectedBucketOwner":"111122223333"},"trigger":"api"}',
    );
  });

  it('sets only the flags that are on', () => {
    expect(runInput(REQUEST, 'cli', { recheck: false, dryRun: false })).toEqual({ request: REQUEST, trigger: 'cli' });
    expect(runInput(REQUEST, 'sweep', { recheck: true, dryRun: true, sweepId: 's-1' })).toEqual({
      request: REQUEST,
      trigger: 'sweep',
      recheck: true,
      dryRun: true,
      sweepId: 's-1',
    });
  });

  it('leaves out optional request fields that are not set, and drops fields the request does not know', () => {
    expect(runInput({ ...REQUEST, requestPayer: undefined, extra: 'x' } as never, 'api')).toEqual({ request: REQUEST, trigger: 'api' });
  });
});
