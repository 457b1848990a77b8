/** The local EventBridge as strict as EventBridge: PutEvents limits and errors, target input, Step Functions' events. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  PUT_EVENTS_MAX_BYTES,
  checkPutEventsRequest,
  createLocalEventBus,
  executionStatusChangeEvent,
  putEventsEntrySize,
  type LocalRule,
  type PutEventsEntry,
} from '../../emulator/eventbridge.ts';
import { localRulesFromServerlessYml } from '../../emulator/eventbridge-rules.ts';
import { applyInputTransformer, matchesPattern, type LocalEvent } from '../../emulator/event-input.ts';
import type { LocalExecution } from '../../emulator/execution.ts';
import type { LocalStepFunctions } from '../../emulator/runtime.ts';

const REQUESTED = { source: ['mpu-reaper'], 'detail-type': ['Abort Multipart Upload Requested'] };
const entry = (detail: unknown, extra: Partial<PutEventsEntry> = {}): PutEventsEntry => ({
  Source: 'mpu-reaper',
  DetailType: 'Abort Multipart Upload Requested',
  Detail: typeof detail === 'string' ? detail : JSON.stringify(detail),
  ...extra,
});

/** a runtime that records StartExecution calls; names listed in `refuse` fail as StartExecution can */
function fakeRuntime(refuse: string[] = []) {
  const starts: Array<{ stateMachineArn: string; name?: string; input?: string }> = [];
  const runtime = {
    region: 'us-east-1',
    accountId: '123456789012',
    startExecution(input: { stateMachineArn: string; name?: string; input?: string }) {
      if (refuse.some((word) => input.input?.includes(word))) throw new Error('InvalidExecutionInput');
      starts.push(input);
      return { executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`, startDate: new Date() };
    },
  };
  return { runtime: runtime as unknown as LocalStepFunctions, starts };
}

const machineRule = (input?: LocalRule['input']): LocalRule => ({
  name: 'abort-requested',
  pattern: REQUESTED,
  target: { kind: 'stateMachine', arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:abort' },
  input,
});

describe('PutEvents entry size (AWS: "Calculating PutEvents event entry size")', () => {
  it('counts 14 bytes for a Time and the UTF-8 bytes of Source, DetailType, Detail and each resource', () => {
    // Arrange: 'é' is 2 bytes, '€' 3 bytes in UTF-8
    const sized = { Source: 'é', DetailType: 'ab', Detail: '{"k":"€"}', Resources: ['arn:1', 'é'], Time: 1_700_000_000 };

    // Act / Assert
    expect(putEventsEntrySize(sized)).toBe(14 + 2 + 2 + 11 + 5 + 2);
    expect(putEventsEntrySize({ ...sized, Time: undefined, Resources: undefined })).toBe(2 + 2 + 11);
  });

  it('is the sum of the byte lengths for any strings (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.array(fc.string(), { maxLength: 5 }), (Source, DetailType, Detail, Resources) => {
        const bytes = (s: string) => new TextEncoder().encode(s).length;
        const expected = bytes(Source) + bytes(DetailType) + bytes(Detail) + Resources.reduce((n, r) => n + bytes(r), 0);
        expect(putEventsEntrySize({ Source, DetailType, Detail, Resources })).toBe(expected);
      }),
    );
  });

  it('accepts a call of exactly 256 KB and refuses one byte more, whole, with a ValidationException', () => {
    // Arrange: two entries, the second padded to the limit
    const first = entry({ a: 1 });
    const padding = PUT_EVENTS_MAX_BYTES - putEventsEntrySize(first) - putEventsEntrySize(entry({ p: '' }));
    const full = [first, entry({ p: 'x'.repeat(padding) })];
    const over = [first, entry({ p: 'x'.repeat(padding + 1) })];

    // Act / Assert
    expect(checkPutEventsRequest({ Entries: full })).toHaveLength(2);
    expect(() => checkPutEventsRequest({ Entries: over })).toThrow(
      expect.objectContaining({
        code: 'ValidationException',
        message: 'Total size of the entries in the request is over the limit.',
      }),
    );
  });

  it.each([[0], [11]])('refuses %i entries with a ValidationException for the whole call', (count) => {
    const entries = Array.from({ length: count }, () => entry({}));
    expect(() => checkPutEventsRequest({ Entries: entries })).toThrow(expect.objectContaining({ code: 'ValidationException', status: 400 }));
  });
});

describe('PutEvents errors per entry', () => {
  it('answers MalformedDetail and InvalidArgument per entry and delivers each good entry exactly once', () => {
    // Arrange
    const { runtime, starts } = fakeRuntime();
    const bus = createLocalEventBus({ runtime, rules: [machineRule({ inputPath: '$.detail' })] });
    const entries = [
      entry({ bucket: 'b', n: 1 }),
      entry('[1, 2]'),
      entry('not json'),
      entry('"text"'),
      { DetailType: 'x', Detail: '{}' },
      entry({ bucket: 'b', n: 2 }),
      entry({}, { EventBusName: 'someone-elses-bus' }),
    ];

    // Act
    const answer = bus.putEvents({ Entries: entries });

    // Assert
    expect(answer.FailedEntryCount).toBe(5);
    expect(answer.Entries.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'ok',
      'MalformedDetail',
      'MalformedDetail',
      'MalformedDetail',
      'InvalidArgument',
      'ok',
      'ResourceNotFoundException',
    ]);
    expect(answer.Entries[4].ErrorMessage).toBe('Parameter Source is not valid. Reason: Source is a required argument.');
    expect(starts.map((s) => JSON.parse(s.input!))).toEqual([
      { bucket: 'b', n: 1 },
      { bucket: 'b', n: 2 },
    ]);
    expect(starts.map((s) => s.name)).toEqual([answer.Entries[0].EventId, answer.Entries[5].EventId]);
  });

  it('keeps delivering the other entries when a target refuses one, and records the failed delivery', () => {
    // Arrange
    const { runtime, starts } = fakeRuntime(['poison']);
    const bus = createLocalEventBus({ runtime, rules: [machineRule()] });

    // Act
    const answer = bus.putEvents({ Entries: [entry({ n: 1 }), entry({ n: 'poison' }), entry({ n: 3 })] });

    // Assert: EventBridge accepted all three; delivery of the second failed (its dead-letter queue, locally: failures)
    expect(answer.FailedEntryCount).toBe(0);
    expect(starts).toHaveLength(2);
    expect(bus.failures).toEqual([{ eventId: answer.Entries[1].EventId, rule: 'abort-requested', error: 'InvalidExecutionInput' }]);
  });

  it('delivers an AWS event (publish) through the rules and to subscribers, and nothing once closed', async () => {
    // Arrange
    const { runtime, starts } = fakeRuntime();
    const invoked: unknown[] = [];
    const rules: LocalRule[] = [{ name: 'fn', pattern: { source: ['aws.states'] }, target: { kind: 'function', name: 'f', handler: 'x.handler' } }];
    const bus = createLocalEventBus({
      runtime,
      rules,
      invokeFunction: async (_target, event) => {
        invoked.push(event);
      },
    });
    const seen: LocalEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    const event = { ...sampleEvent(), source: 'aws.states' };

    // Act
    bus.publish(event);
    await bus.close();
    bus.publish(event);

    // Assert
    expect(invoked).toEqual([event]);
    expect(seen).toEqual([event]);
    expect(starts).toHaveLength(0);
  });
});

function sampleEvent(detail: Record<string, unknown> = { bucket: 'b', key: 'k "quoted"', uploadId: 'u', parts: [1, 2] }): LocalEvent {
  return {
    version: '0',
    id: 'e-1',
    'detail-type': 'Abort Multipart Upload Requested',
    source: 'mpu-reaper',
    account: '123456789012',
    time: '2026-11-22T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

describe('InputTransformer', () => {
  const rule = { name: 'r', arn: 'arn:aws:events:us-east-1:123456789012:rule/r' };

  it('puts a whole object where the JSON template has its placeholder: {"request": <detail>, "trigger": "event"}', () => {
    // Act
    const transformer = { InputPathsMap: { detail: '$.detail' }, InputTemplate: '{"request": <detail>, "trigger": "event"}' };
    const text = applyInputTransformer(sampleEvent(), transformer, rule);

    // Assert
    expect(JSON.parse(text)).toEqual({ request: sampleEvent().detail, trigger: 'event' });
  });

  it('quotes strings in value positions, inserts them raw inside strings, and strips the quotes of objects inside strings', () => {
    // Act
    const text = applyInputTransformer(
      sampleEvent({ bucket: 'b', n: 5, o: { a: 'x' } }),
      {
        InputPathsMap: { bucket: '$.detail.bucket', n: '$.detail.n', o: '$.detail.o', missing: '$.detail.nope' },
        InputTemplate: '{"b": <bucket>, "n": <n>, "s": "bucket <bucket> has <n> in <o><missing>", "rule": <aws.events.rule-name>}',
      },
      rule,
    );

    // Assert
    expect(JSON.parse(text)).toEqual({ b: 'b', n: 5, s: 'bucket b has 5 in {a:x}', rule: 'r' });
  });

  it('fills a string template with raw values and keeps unknown placeholders as written', () => {
    const transformer = { InputPathsMap: { id: '$.detail.uploadId' }, InputTemplate: 'upload <id> of <aws.events.event.ingestion-time> <other>' };
    const text = applyInputTransformer(sampleEvent(), transformer, rule);
    expect(text).toBe('upload u of 2026-11-22T10:00:00Z <other>');
  });

  it('offers the whole event (aws.events.event.json) and the event without its detail (aws.events.event)', () => {
    const text = applyInputTransformer(sampleEvent(), { InputTemplate: '{"all": <aws.events.event.json>, "meta": <aws.events.event>}' }, rule);
    const { detail: _detail, ...meta } = sampleEvent();
    expect(JSON.parse(text)).toEqual({ all: sampleEvent(), meta });
  });

  it('gives the state machine target the transformed input', () => {
    // Arrange
    const { runtime, starts } = fakeRuntime();
    const inputTransformer = { InputPathsMap: { d: '$.detail' }, InputTemplate: '{"request": <d>, "trigger": "event"}' };
    const bus = createLocalEventBus({ runtime, rules: [machineRule({ inputTransformer })] });

    // Act
    bus.putEvents({ Entries: [entry({ bucket: 'b', key: 'k', uploadId: 'u' })] });

    // Assert
    expect(JSON.parse(starts[0].input!)).toEqual({ request: { bucket: 'b', key: 'k', uploadId: 'u' }, trigger: 'event' });
  });
});

describe('Step Functions "Execution Status Change" events', () => {
  const execution = (status: LocalExecution['status'], extra: Partial<LocalExecution> = {}) =>
    ({
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:m:run-1',
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:m',
      name: 'run-1',
      status,
      input: '{"bucket":"b"}',
      startDate: new Date(1_700_000_000_123),
      ...extra,
    }) as LocalExecution;

  it("has AWS's shape: source aws.states, the execution as resource, dates in epoch ms, output only when SUCCEEDED", () => {
    // Act
    const failed = executionStatusChangeEvent(execution('FAILED', { stopDate: new Date(1_700_000_005_456), error: 'S3.S3Exception', cause: 'SlowDown' }), {
      region: 'us-east-1',
      accountId: '123456789012',
    });
    const succeeded = executionStatusChangeEvent(execution('SUCCEEDED', { stopDate: new Date(1_700_000_001_000), output: '{"ok":true}' }), {
      region: 'us-east-1',
      accountId: '123456789012',
    });

    // Assert
    expect(failed).toMatchObject({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      resources: [execution('FAILED').executionArn],
      time: '2023-11-14T22:13:25Z',
      detail: {
        executionArn: execution('FAILED').executionArn,
        stateMachineArn: execution('FAILED').stateMachineArn,
        name: 'run-1',
        status: 'FAILED',
        startDate: 1_700_000_000_123,
        stopDate: 1_700_000_005_456,
        input: '{"bucket":"b"}',
        output: null,
        inputDetails: { included: true },
        outputDetails: null,
        error: 'S3.S3Exception',
        cause: 'SlowDown',
      },
    });
    expect(succeeded.detail).toMatchObject({ status: 'SUCCEEDED', output: '{"ok":true}', outputDetails: { included: true }, error: null, cause: null });
  });

  it('matches the interrupted-runs rule of serverless.yml, whose pattern names the state machines by Ref', () => {
    // Arrange
    const arns = { abortUpload: 'arn:aws:states:us-east-1:123456789012:stateMachine:mpu-reaper-abort-upload', sweepUploads: 'arn:sweep' };
    const rules = localRulesFromServerlessYml({ stateMachineArns: arns });
    const interrupted = rules.find((r) => r.target.kind === 'function' && r.target.name === 'recordInterruptedRun')!;
    const change = (status: LocalExecution['status'], stateMachineArn = arns.abortUpload) =>
      executionStatusChangeEvent(execution(status, { stateMachineArn, stopDate: new Date() }), { region: 'us-east-1', accountId: '123456789012' });

    // Act / Assert
    expect(interrupted.target).toEqual({ kind: 'function', name: 'recordInterruptedRun', handler: 'functions/record-interrupted-run.handler' });
    expect(matchesPattern(interrupted.pattern, change('ABORTED') as never)).toBe(true);
    expect(matchesPattern(interrupted.pattern, change('FAILED', 'arn:sweep') as never)).toBe(true);
    expect(matchesPattern(interrupted.pattern, change('SUCCEEDED') as never)).toBe(false);
    expect(matchesPattern(interrupted.pattern, change('ABORTED', 'arn:other') as never)).toBe(false);
    expect(rules.filter((r) => r.target.kind === 'stateMachine').map((r) => r.name)).toEqual(expect.arrayContaining(['abortUpload-abortRequestedPattern']));
  });
});

describe('function targets are invoked as Lambda invokes asynchronously', () => {
  it('retries a function error twice, then gives up with the last error', async () => {
    // Arrange
    const { invokeAsynchronously } = await import('../../emulator/eventbridge.ts');
    let calls = 0;
    const failing = async () => {
      calls += 1;
      throw new Error(`failure ${calls}`);
    };

    // Act / Assert
    await expect(invokeAsynchronously(failing, 2, 1)).rejects.toThrow('failure 3');
    expect(calls).toBe(3);
  });

  it('returns the first success', async () => {
    const { invokeAsynchronously } = await import('../../emulator/eventbridge.ts');
    let calls = 0;
    const flaky = async () => {
      calls += 1;
      if (calls < 2) throw new Error('transient');
      return 'done';
    };
    expect(await invokeAsynchronously(flaky, 2, 1)).toBe('done');
    expect(calls).toBe(2);
  });
});
