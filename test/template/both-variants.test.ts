/**
 * What holds for both packaged variants of the `test` stage (shared packages: test/support/template/package.ts):
 * the stage as serverless.yml defines it, and with --param="deadlines=true" and a sweepSchedule. The switch turns
 * the deadline rule and the sweep schedule on and changes nothing else; the API stage keeps its throttling; AWS's
 * cfn-lint (required: pip install cfn-lint) finds nothing unexpected in any variant, the allowlist given as --param
 * included. The only file that waits for the second package:
 * every other template file needs the first alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StateMachineKey } from '../../lib/settings.ts';
import { CFN_LINT_MISSING, cfnLint, type LintRun } from '../support/template/cfn-lint.ts';
import { PACKAGE_WAIT_MS, SWEEP_SCHEDULE, VARIANTS, packagedStack, type Variant } from '../support/template/package.ts';
import { FUNCTIONS, MACHINE_KEYS, ROOT, STAGE, config, sm, type Resource, type Template } from '../support/template/stack.ts';

let template: Template;
let switchedOnTemplate: Template;
let lints: Record<Variant, Promise<LintRun>>;
beforeAll(async () => {
  // each variant linted as soon as it is packaged: the default's lint runs beside the other's packaging
  lints = Object.fromEntries(
    (Object.keys(VARIANTS) as Variant[]).map((variant) => {
      const run = packagedStack(variant).then((stack) => cfnLint(stack.dir));
      run.catch(() => {}); // reported by the variant's test
      return [variant, run];
    }),
  ) as Record<Variant, Promise<LintRun>>;
  ({ template } = await packagedStack());
  ({ template: switchedOnTemplate } = await packagedStack('switchedOn'));
}, PACKAGE_WAIT_MS);

describe('packaged template: EventBridge', () => {
  /** the one rule that targets the state machine with an event pattern */
  const patternRuleOf = (key: StateMachineKey, from: Template) => {
    const rules = Object.entries(from.Resources).filter(
      ([, r]) => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern && JSON.stringify(r.Properties.Targets).includes(`{"Ref":"${sm(key).id}"}`),
    );
    expect(rules, key).toHaveLength(1);
    return rules[0];
  };

  it('switches the rules on with --param="deadlines=true" and a sweepSchedule, and changes nothing else', () => {
    const [id, rule] = patternRuleOf('abortAfterDeadline', switchedOnTemplate);
    expect(rule.Properties.State).toBe('ENABLED');
    const schedule = switchedOnTemplate.Resources.SweepUploadsStepFunctionsEventsRuleSchedule1;
    expect(schedule.Properties).toMatchObject({ State: 'ENABLED', ScheduleExpression: SWEEP_SCHEDULE });
    const withoutSwitches = (t: Template) => {
      // the bus: the switched-on variant keeps the request rules on the default bus (eventbridge.test.ts checks both)
      const { [id]: deadlineRule, SweepUploadsStepFunctionsEventsRuleSchedule1: scheduleRule, RequestsEventBus: _bus, ...buses } = t.Resources;
      const others: Record<string, Resource> = Object.fromEntries(
        Object.entries(buses).map(([key, r]) =>
          r.Type === 'AWS::Events::Rule' ? [key, { ...r, Properties: { ...r.Properties, EventBusName: undefined } }] : [key, r],
        ),
      );
      // abort-upload's definition: compared in its own test below
      const rest = {
        ...others,
        [sm('abortUpload').id]: { ...others[sm('abortUpload').id], Properties: { ...others[sm('abortUpload').id].Properties, DefinitionString: '' } },
      };
      const strip = (r: Resource) => ({ ...r, Properties: { ...r.Properties, State: undefined, ScheduleExpression: undefined } });
      // the API deployment's logical id carries a timestamp (and the stage refers to it), the Lambda versions' a
      // hash of the code, and the code's S3 key the time of packaging
      const stable = Object.entries(rest)
        .filter(([, r]) => r.Type !== 'AWS::ApiGateway::Deployment' && r.Type !== 'AWS::Lambda::Version')
        .map(([key, r]) => [
          key,
          r.Type === 'AWS::Lambda::Function'
            ? { ...r, Properties: { ...r.Properties, Code: undefined } }
            : r.Type === 'AWS::ApiGateway::Stage'
              ? { ...r, Properties: { ...r.Properties, DeploymentId: undefined } }
              : r,
        ]);
      return { ...Object.fromEntries(stable), deadlineRule: strip(deadlineRule), scheduleRule: strip(scheduleRule) };
    };
    expect(withoutSwitches(switchedOnTemplate)).toEqual(withoutSwitches(template));
  });
});

describe('packaged template: IfMatchInitiatedTime', () => {
  it('packages abort-upload exactly as its ASL file, IfMatchInitiatedTime state included, with --param="ifMatchInitiatedTime=true"', () => {
    const packaged = JSON.parse(switchedOnTemplate.Resources[sm('abortUpload').id].Properties.DefinitionString as string);
    expect(packaged).toEqual(JSON.parse(readFileSync(join(ROOT, 'statemachines', sm('abortUpload').file), 'utf8')));
    expect(packaged.States['Abort upload (if initiated then)'].Parameters).toHaveProperty(['IfMatchInitiatedTime.$']);
    // and not without it
    expect(template.Resources[sm('abortUpload').id].Properties.DefinitionString).not.toContain('"IfMatchInitiatedTime.$"');
  });
});

describe('packaged template: monitoring', () => {
  it(
    'adds 20 alarms (the debt alarm included) and a dashboard by default, 8 alarms and no dashboard with --param="monitoring=minimal"',
    async () => {
      const minimal = await packagedStack('cliAllowlist');
      const ids = (t: Template, type: string) =>
        Object.entries(t.Resources)
          .filter(([, r]) => r.Type === type)
          .map(([id]) => id);
      expect(ids(template, 'AWS::CloudWatch::Alarm')).toHaveLength(20);
      expect(ids(template, 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
      expect(ids(minimal.template, 'AWS::CloudWatch::Alarm').sort()).toEqual(
        [...MACHINE_KEYS.map((key) => `${sm(key).id}FailedAlarm`), 'PartsRemainAlarm', 'SweepPartsRemainAlarm', 'DeadLetterQueueAlarm'].sort(),
      );
      expect(ids(minimal.template, 'AWS::CloudWatch::Dashboard')).toEqual([]);
      // the minimal variant may still be packaging (one package at a time): wait for it as long as beforeAll would
    },
    PACKAGE_WAIT_MS,
  );
});

describe('packaged template: record retention', () => {
  it('expires records by TTL, and turns TTL off with --param="RecordRetentionSeconds=0" (records kept)', async () => {
    const kept = await packagedStack('cliAllowlist');
    expect(template.Resources.RecordsTable.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(kept.template.Resources.RecordsTable.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: false });
    // and the functions that stamp records themselves are told so
    expect(kept.resolve(kept.template.Resources.CreateAbortLambdaFunction.Properties).Environment.Variables.RECORD_RETENTION_SECONDS).toBe('0');
  });
});

describe('packaged template: API', () => {
  it.each([0, 1])('template %i: throttles every method of the stage, through an explicit AWS::ApiGateway::Stage with tracing', (index) => {
    const t = [template, switchedOnTemplate][index];
    const [[deploymentId]] = Object.entries(t.Resources).filter(([, r]) => r.Type === 'AWS::ApiGateway::Deployment');
    const stage = t.Resources.ApiGatewayStage;
    expect(stage.Type).toBe('AWS::ApiGateway::Stage');
    expect(stage.Properties).toStrictEqual({
      RestApiId: { Ref: 'ApiGatewayRestApi' },
      DeploymentId: { Ref: deploymentId },
      StageName: STAGE,
      TracingEnabled: true,
      MethodSettings: [
        {
          ResourcePath: '/*',
          HttpMethod: '*',
          ThrottlingRateLimit: config.custom.apiThrottling.rateLimit,
          ThrottlingBurstLimit: config.custom.apiThrottling.burstLimit,
        },
      ],
    });
    // no other stage settings anywhere: no throttling through a usage plan, none on the deployment
    expect(Object.values(t.Resources).filter((r) => r.Type === 'AWS::ApiGateway::UsagePlan')).toEqual([]);
  });

  it.each([0, 1])('template %i: the deployment no longer creates the stage (no StageName, no StageDescription)', (index) => {
    const t = [template, switchedOnTemplate][index];
    const deployments = Object.values(t.Resources).filter((r) => r.Type === 'AWS::ApiGateway::Deployment');
    expect(deployments).toHaveLength(1);
    expect(deployments[0].Properties).toStrictEqual({ RestApiId: { Ref: 'ApiGatewayRestApi' } });
  });
});

/**
 * Findings accepted on purpose: W3005 "dependency already enforced by a GetAtt" on each function's DependsOn of
 * its role. The framework writes that DependsOn itself whenever `role:` names a resource; it is redundant, not
 * wrong, and serverless.yml cannot remove it.
 */
const ACCEPTED_FINDINGS = Object.values(FUNCTIONS).map((fn) => ({ rule: 'W3005', resource: `${fn.id}LambdaFunction`, dependsOn: `${fn.id}Role` }));

describe('packaged template: cfn-lint', () => {
  it.each(Object.keys(VARIANTS) as Variant[])(
    '%s variant (default: the stage as defined; switchedOn: deadlines and schedule on; cliAllowlist: --param allowedBuckets) has no findings but the accepted ones',
    async (variant) => {
      const name = [variant, ...VARIANTS[variant]].join(' ');
      const lint = await lints[variant];
      // 127: a pyenv shim for a Python without cfn-lint
      if (lint.error?.code === 'ENOENT' || lint.status === 127) throw new Error(CFN_LINT_MISSING);
      if (lint.error) throw lint.error;
      // exit status: a bit mask, 2 errors, 4 warnings, 8 informational; 1 means cfn-lint itself failed
      expect(lint.status === 1, `${name}: ${lint.stderr}`).toBe(false);
      const findings = JSON.parse(lint.stdout || '[]') as Array<{
        Level: string;
        Message: string;
        Rule: { Id: string };
        Location: { Path: Array<string | number> };
      }>;
      const unexpected = findings.filter(
        (finding) =>
          !ACCEPTED_FINDINGS.some(
            (accepted) =>
              finding.Rule.Id === accepted.rule && finding.Location.Path[1] === accepted.resource && finding.Message.includes(`'${accepted.dependsOn}'`),
          ),
      );
      expect(
        unexpected.map((f) => `${f.Rule.Id} ${f.Location.Path.join('/')}: ${f.Message}`),
        name,
      ).toEqual([]);
      expect([0, 4]).toContain(lint.status);
    },
    150_000,
  );
});
