/**
 * The packaged `test` stage's EventBridge rules (shared package: test/support/template/package.ts): the rules that
 * start the state machines, the deadline rule and the sweep schedule (off by default), the dead-letter queue,
 * the interrupted-runs rule. What the switch changes is checked in both-variants.test.ts; serverless.yml's own
 * patterns unpackaged in definitions.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { StateMachineKey } from '../../lib/settings.ts';
import type { Resolve } from '../support/template/intrinsics.ts';
import { CLI_EVENT_PUTTERS, PACKAGE_WAIT_MS, packagedStack, type PackagedStack } from '../support/template/package.ts';
import {
  ACCOUNT,
  DLQ_ARN,
  INTERRUPTED_RUNS_RULE_NAME,
  REGION,
  RETRY,
  SERVICE,
  STAGE,
  STATE_MACHINE,
  config,
  pascal,
  sm,
  withStageParams,
  type Template,
} from '../support/template/stack.ts';

let template: Template;
let resolve: Resolve;
let ofType: PackagedStack['ofType'];
beforeAll(async () => {
  ({ template, resolve, ofType } = await packagedStack());
}, PACKAGE_WAIT_MS);

const rulesTargeting = (arn: string, from: Template = template) =>
  Object.entries(from.Resources).filter(([, r]) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties.Targets).includes(arn));

describe('packaged template: EventBridge', () => {
  /** the one rule that targets the state machine with an event pattern */
  const patternRuleOf = (key: StateMachineKey, from: Template = template) => {
    const rules = rulesTargeting(`{"Ref":"${sm(key).id}"}`, from).filter(([, rule]) => rule.Properties.EventPattern);
    expect(rules, key).toHaveLength(1);
    return rules[0];
  };

  it.each([
    ['abortUpload', 'abortRequestedPattern'],
    ['sweepUploads', 'sweepRequestedPattern'],
    ['abortAfterDeadline', 'uploadCreatedPattern'],
  ] as const)('starts %s with the pattern held in custom.%s, the detail as input, retries and the dead-letter queue', (key, patternName) => {
    const [id, rule] = patternRuleOf(key);
    expect(id).toBe(`${pascal(key)}EventsRuleCloudWatchEvent1`);
    expect(rule.Properties.EventPattern).toEqual(withStageParams(config.custom[patternName]));
    const targets = resolve(rule.Properties.Targets);
    expect(targets).toHaveLength(1);
    // abort-upload's and sweep-uploads' input is an envelope: the detail is the request, the trigger is fixed by the rule
    const input =
      key === 'abortAfterDeadline'
        ? { InputPath: '$.detail' }
        : { InputTransformer: { InputPathsMap: { detail: '$.detail' }, InputTemplate: '{"request": <detail>, "trigger": "event"}' } };
    expect(targets[0]).toMatchObject({
      Arn: `Ref(${sm(key).id})`,
      ...input,
      RoleArn: `GetAtt(${pascal(key)}EventToStepFunctionsRole.Arn)`,
      DeadLetterConfig: { Arn: DLQ_ARN },
      RetryPolicy: RETRY,
    });
  });

  it('listens for successful CreateMultipartUpload data events of the allowlisted buckets only', () => {
    const [, rule] = patternRuleOf('abortAfterDeadline');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['s3.amazonaws.com'],
        eventName: ['CreateMultipartUpload'],
        errorCode: [{ exists: false }],
        requestParameters: { bucketName: [{ prefix: 'mpu-reaper-test-' }, 'mpu-reaper-fixture'] },
      },
    });
  });

  it('leaves the deadline rule and the sweep schedule DISABLED unless the stage switches them on', () => {
    expect(config.params.default).toMatchObject({ deadlines: false, sweepTargets: [] });
    expect(config.params[STAGE].deadlines ?? config.params.default.deadlines).toBe(false);
    expect(config.params[STAGE].sweepSchedule ?? config.params.default.sweepSchedule).toBeUndefined();
    expect(patternRuleOf('abortAfterDeadline')[1].Properties.State).toBe('DISABLED');
    const schedule = template.Resources.SweepUploadsStepFunctionsEventsRuleSchedule1;
    expect(schedule.Properties.State).toBe('DISABLED');
    // every other rule is on
    for (const [id, rule] of ofType('AWS::Events::Rule')) {
      if (id !== 'SweepUploadsStepFunctionsEventsRuleSchedule1' && id !== 'AbortAfterDeadlineEventsRuleCloudWatchEvent1')
        expect(rule.Properties.State, id).toBe('ENABLED');
    }
  });

  it("schedules sweeps of the stage's sweepTargets through its own role", () => {
    const props = resolve(template.Resources.SweepUploadsStepFunctionsEventsRuleSchedule1.Properties);
    expect(props.ScheduleExpression).toMatch(/^(rate|cron)\(.+\)$/);
    expect(props.Targets).toHaveLength(1);
    expect(props.Targets[0]).toMatchObject({ Arn: `Ref(${sm('sweepUploads').id})`, RoleArn: 'GetAtt(SweepUploadsScheduleToStepFunctionsRole.Arn)' });
    expect(JSON.parse(props.Targets[0].Input)).toEqual({
      targets: config.params[STAGE].sweepTargets ?? config.params.default.sweepTargets,
      trigger: 'schedule',
    });
  });

  it("keeps undeliverable events in an encrypted queue that only the project's rules may write to", () => {
    expect(template.Resources.AbortRequestsDeadLetterQueue.Properties.SqsManagedSseEnabled).toBe(true);
    const policy = resolve(template.Resources.AbortRequestsDeadLetterQueuePolicy.Properties);
    expect(policy.Queues).toEqual(['Ref(AbortRequestsDeadLetterQueue)']);
    const {
      Statement: [statement, ...others],
    } = policy.PolicyDocument;
    expect(others).toEqual([]);
    expect(statement).toMatchObject({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: DLQ_ARN });
    expect(Object.keys(statement.Condition)).toEqual(['ArnEquals']);
    expect([...statement.Condition.ArnEquals['aws:SourceArn']].sort()).toEqual(
      [
        'GetAtt(AbortUploadEventsRuleCloudWatchEvent1.Arn)',
        'GetAtt(SweepUploadsEventsRuleCloudWatchEvent1.Arn)',
        'GetAtt(AbortAfterDeadlineEventsRuleCloudWatchEvent1.Arn)',
        `arn:aws:events:${REGION}:${ACCOUNT}:rule/${INTERRUPTED_RUNS_RULE_NAME}`,
      ].sort(),
    );
    // …and every rule that sends to the queue is one of them
    const senders = ofType('AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties.Targets).includes('AbortRequestsDeadLetterQueue'));
    expect(
      senders
        .map(([id, rule]) => (rule.Properties.Name ? `arn:aws:events:${REGION}:${ACCOUNT}:rule/${rule.Properties.Name as string}` : `GetAtt(${id}.Arn)`))
        .sort(),
    ).toEqual([...statement.Condition.ArnEquals['aws:SourceArn']].sort());
  });

  it('sends ABORTED, TIMED_OUT and FAILED executions of abort-upload and sweep-uploads (only) to recordInterruptedRun, with retries and the dead-letter queue', () => {
    const rules = ofType('AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties.EventPattern ?? {}).includes('aws.states'));
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0];
    expect(rule.Properties.Name).toBe(INTERRUPTED_RUNS_RULE_NAME);
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['ABORTED', 'TIMED_OUT', 'FAILED'], stateMachineArn: [{ Ref: STATE_MACHINE }, { Ref: 'SweepUploadsStateMachine' }] },
    });
    const targets = resolve(rule.Properties.Targets);
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ Arn: 'GetAtt(RecordInterruptedRunLambdaFunction.Arn)', RetryPolicy: RETRY, DeadLetterConfig: { Arn: DLQ_ARN } });
  });

  it(
    "listens for abort and sweep requests on the stack's own bus, which only the account may put events on",
    async () => {
      const bus = template.Resources.RequestsEventBus;
      expect(bus.Type).toBe('AWS::Events::EventBus');
      expect(bus.Properties.Name).toBe(`${SERVICE}-${STAGE}`);
      const busArn = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${SERVICE}-${STAGE}`;
      expect(resolve(bus.Properties.Policy)).toEqual({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'PutRequests', Effect: 'Allow', Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:root`] }, Action: 'events:PutEvents', Resource: busArn },
        ],
      });
      expect(template.Outputs.EventBusName.Value).toEqual({ Ref: 'RequestsEventBus' });
      const onBus = ofType('AWS::Events::Rule')
        .filter(([, rule]) => rule.Properties.EventBusName !== undefined)
        .map(([id, rule]) => [id, rule.Properties.EventBusName]);
      // AWS services' events (CloudTrail, Step Functions) reach the default bus only: those rules stay there
      expect(onBus.sort()).toEqual([
        ['AbortUploadEventsRuleCloudWatchEvent1', { Ref: 'RequestsEventBus' }],
        ['SweepUploadsEventsRuleCloudWatchEvent1', { Ref: 'RequestsEventBus' }],
      ]);
      // named putters: they alone may put events; the default bus kept as an option (eventBus=default)
      const named = await packagedStack('cliAllowlist');
      const putters = CLI_EVENT_PUTTERS.split(',');
      expect(named.resolve(named.template.Resources.RequestsEventBus.Properties.Policy).Statement).toEqual([
        { Sid: 'PutRequests', Effect: 'Allow', Principal: { AWS: putters }, Action: 'events:PutEvents', Resource: busArn },
        {
          Sid: 'OnlyNamedPutters',
          Effect: 'Deny',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: busArn,
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': putters } },
        },
      ]);
      const onDefault = await packagedStack('switchedOn');
      expect(onDefault.template.Resources.RequestsEventBus).toBeUndefined();
      expect(onDefault.ofType('AWS::Events::Rule').filter(([, rule]) => rule.Properties.EventBusName !== undefined)).toEqual([]);
      expect(onDefault.template.Outputs.EventBusName.Value).toBe('default');
    },
    PACKAGE_WAIT_MS,
  );

  it('lets nothing but EventBridge rules start the state machines, and nothing start sweep-page but the sweep', () => {
    // sweep-page has no rule; planSweep no trigger at all
    expect(rulesTargeting(`{"Ref":"${sm('sweepPage').id}"}`)).toEqual([]);
    expect(ofType('AWS::Lambda::Permission').filter(([id]) => id.startsWith('PlanSweep'))).toEqual([]);
  });
});
