/**
 * The packaged `test` stage (shared: test/support/template/package.ts): its resources (state machines, functions,
 * log groups, roles, the monitoring plugin's alarms and dashboard), each function's declaration and zip, the outputs.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllowlist } from '../../lib/allowlist.ts';
import { EXPECTED_ROLES } from '../support/template/iam-spec.ts';
import type { Resolve } from '../support/template/intrinsics.ts';
import { PACKAGE_WAIT_MS, packagedStack, type PackagedStack } from '../support/template/package.ts';
import { FUNCTIONS, REGION, SERVICE, STAGE, STATE_MACHINE, STATE_MACHINES, allowedBuckets, sm, type Template } from '../support/template/stack.ts';
import { zipEntries } from '../support/template/zip.ts';

let stack: PackagedStack;
let template: Template;
let resolve: Resolve;
let ofType: PackagedStack['ofType'];
beforeAll(async () => {
  stack = await packagedStack();
  ({ template, resolve, ofType } = stack);
}, PACKAGE_WAIT_MS);

describe('packaged template: resources', () => {
  it('has every resource the service needs', () => {
    const count = (type: string) => ofType(type).length;
    expect(
      ofType('AWS::StepFunctions::StateMachine')
        .map(([id]) => id)
        .sort(),
    ).toEqual(
      Object.values(STATE_MACHINES)
        .map((m) => m.id)
        .sort(),
    );
    expect(template.Resources.RecordsTable?.Type).toBe('AWS::DynamoDB::Table');
    expect(template.Resources.AbortRequestsDeadLetterQueue?.Type).toBe('AWS::SQS::Queue');
    expect(template.Resources.AbortRequestsDeadLetterQueuePolicy?.Type).toBe('AWS::SQS::QueuePolicy');
    // abort requests, sweep requests, sweep schedule, upload created (deadlines), abort-upload status changes, debt scan
    expect(count('AWS::Events::Rule')).toBe(6);
    expect(template.Resources.ApiGatewayRestApi?.Type).toBe('AWS::ApiGateway::RestApi');
    expect(count('AWS::ApiGateway::Method')).toBe(Object.values(FUNCTIONS).filter((fn) => fn.route).length);
    expect(count('AWS::ApiGateway::Deployment')).toBe(1);
    // the stage is its own resource (plugins/api-stage-throttling.cjs), not the deployment's
    expect(ofType('AWS::ApiGateway::Stage').map(([id]) => id)).toEqual(['ApiGatewayStage']);
    expect(
      ofType('AWS::Lambda::Function')
        .map(([id]) => id)
        .sort(),
    ).toEqual(
      Object.values(FUNCTIONS)
        .map((fn) => `${fn.id}LambdaFunction`)
        .sort(),
    );
    // one per function and one per state machine
    expect(
      ofType('AWS::Logs::LogGroup')
        .map(([id]) => id)
        .sort(),
    ).toEqual([...Object.values(FUNCTIONS).map((fn) => `${fn.id}LogGroup`), ...Object.values(STATE_MACHINES).map((m) => m.logGroup)].sort());
    expect(
      ofType('AWS::IAM::Role')
        .map(([id]) => id)
        .sort(),
    ).toEqual(Object.keys(EXPECTED_ROLES).sort());
    // the framework's shared role is not there: each function has its own
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    // plugins/monitoring.cjs: three alarms per state machine, PARTS_REMAIN, throttled transitions, the DLQ; a dashboard
    expect(
      ofType('AWS::CloudWatch::Alarm')
        .map(([id]) => id)
        .sort(),
    ).toEqual(
      [
        ...Object.values(STATE_MACHINES).flatMap((m) => ['Failed', 'TimedOut', 'Throttled'].map((what) => `${m.id}${what}Alarm`)),
        'PartsRemainAlarm',
        'SweepPartsRemainAlarm',
        'StateTransitionsThrottledAlarm',
        'DeadLetterQueueAlarm',
        'DebtMonthlyCostAlarm',
      ].sort(),
    );
    expect(ofType('AWS::CloudWatch::Dashboard').map(([id]) => id)).toEqual(['MonitoringDashboard']);
  });

  it('declares every function with its handler, runtime, architecture, own role and log group, and only the environment it reads', () => {
    for (const [name, fn] of Object.entries(FUNCTIONS)) {
      const resource = template.Resources[`${fn.id}LambdaFunction`];
      expect(resource, name).toBeDefined();
      const props = resolve(resource.Properties);
      expect(props.Handler).toBe(fn.handler);
      expect(props.Runtime).toBe('nodejs22.x');
      expect(props.Architectures).toEqual(['arm64']);
      expect(props.FunctionName).toBe(`${SERVICE}-${STAGE}-${name}`);
      expect(props.Role).toBe(`GetAtt(${fn.id}Role.Arn)`);
      expect(resolve(template.Resources[`${fn.id}LogGroup`].Properties).LogGroupName).toBe(`/aws/lambda/${SERVICE}-${STAGE}-${name}`);
      expect(props.Environment.Variables, name).toEqual({
        RECORDS_TABLE: 'Ref(RecordsTable)',
        LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...fn.env,
      });
    }
  });

  it('gives both APIs the same allowlist as the state machine roles, in a form lib/allowlist.ts accepts', () => {
    expect(allowedBuckets.length).toBeGreaterThan(0);
    for (const fn of ['CreateAbort', 'CreateSweep']) {
      const allowlist = parseAllowlist(resolve(template.Resources[`${fn}LambdaFunction`].Properties).Environment.Variables.ALLOWED_BUCKETS);
      expect(allowlist.patterns, fn).toEqual(allowedBuckets);
    }
  });

  it('zips only what esbuild emitted: one ES module bundle and its source map per function', () => {
    for (const [name, fn] of Object.entries(FUNCTIONS)) {
      const base = fn.handler.replace(/\.handler$/, '');
      expect(zipEntries(join(stack.dir, `${name}.zip`)), name).toEqual([`${base}.mjs`, `${base}.mjs.map`]);
    }
  });

  it("leaves none of the zips' staging directories in the temp directory (serverless-esbuild leaves one per function)", () => {
    expect(stack.stagingLeft).toEqual([]);
  });

  it('sets a retention on every log group', () => {
    for (const [id, group] of ofType('AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays, id).toBe(30);
  });

  it('has the outputs', () => {
    const outputs = Object.fromEntries(Object.entries(template.Outputs).map(([key, output]) => [key, resolve(output.Value)]));
    expect(outputs).toMatchObject({
      ApiUrl: `https://Ref(ApiGatewayRestApi).execute-api.${REGION}.amazonaws.com/${STAGE}`,
      // the framework's own output (osls info / deploy print it)
      ServiceEndpoint: `https://Ref(ApiGatewayRestApi).execute-api.${REGION}.amazonaws.com/${STAGE}`,
      StateMachineArn: `Ref(${STATE_MACHINE})`,
      SweepStateMachineArn: `Ref(${sm('sweepUploads').id})`,
      DeadlineStateMachineArn: `Ref(${sm('abortAfterDeadline').id})`,
      TableName: 'Ref(RecordsTable)',
      DeadLetterQueueUrl: 'Ref(AbortRequestsDeadLetterQueue)',
    });
  });
});
