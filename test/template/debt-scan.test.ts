/**
 * The scheduled debt scan in the packaged `test` stage (shared packages: test/support/template/package.ts): by default
 * a rule with the stage's rate invokes the function (900 s, the allowlist, the ListParts budget), DebtMonthlyCostAlarm
 * has the stage's threshold and the dashboard its widgets; with --param="debtScanSchedule=off" (the cliAllowlist
 * variant) neither rule nor permission is packaged.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_LIST_PARTS, LISTING_SECONDS } from '../../lib/scan/debt.ts';
import { PACKAGE_WAIT_MS, VARIANTS, packagedStack, type PackagedStack } from '../support/template/package.ts';
import { STAGE, config } from '../support/template/stack.ts';

let stack: PackagedStack;
let off: PackagedStack;
beforeAll(async () => {
  stack = await packagedStack();
  off = await packagedStack('cliAllowlist');
}, PACKAGE_WAIT_MS);

const params = { ...config.params.default, ...config.params[STAGE] } as Record<string, unknown>;

describe('packaged template: the debt scan', () => {
  it("runs the function on the stage's schedule (default rate(1 day)) through a rule that alone may invoke it", () => {
    expect(params.debtScanSchedule).toBe('rate(1 day)');
    const rules = stack.ofType('AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties.Targets).includes('DebtScanLambdaFunction'));
    expect(rules.map(([id]) => id)).toEqual(['DebtScanScheduleRule']);
    const rule = stack.resolve(rules[0][1].Properties);
    expect(rule).toMatchObject({ ScheduleExpression: 'rate(1 day)', State: 'ENABLED', Targets: [{ Arn: 'GetAtt(DebtScanLambdaFunction.Arn)' }] });
    expect(rule.EventBusName).toBeUndefined();
    const permissions = stack.ofType('AWS::Lambda::Permission').filter(([, p]) => JSON.stringify(p.Properties.FunctionName).includes('DebtScan'));
    expect(permissions.map(([, p]) => stack.resolve(p.Properties))).toEqual([
      {
        FunctionName: 'GetAtt(DebtScanLambdaFunction.Arn)',
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: 'GetAtt(DebtScanScheduleRule.Arn)',
      },
    ]);
  });

  it('gives the function a timeout beyond its listing time, the allowlist and the ListParts budget of the stage', () => {
    const fn = stack.resolve(stack.template.Resources.DebtScanLambdaFunction.Properties);
    expect(fn.Timeout).toBe(900);
    expect(fn.Timeout).toBeGreaterThanOrEqual(LISTING_SECONDS + 120);
    expect(fn.Environment.Variables).toMatchObject({
      ALLOWED_BUCKETS: (params.allowedBuckets as string[]).join(','),
      DEBT_MAX_LIST_PARTS: String(DEFAULT_MAX_LIST_PARTS),
    });
    expect(params.debtMaxListParts).toBe(DEFAULT_MAX_LIST_PARTS);
  });

  it("alarms above the stage's debtAlarmMonthlyUsd a month and charts the debt on the dashboard", () => {
    const alarm = stack.resolve(stack.template.Resources.DebtMonthlyCostAlarm.Properties);
    expect(alarm.Threshold).toBe(Number(params.debtAlarmMonthlyUsd));
    expect(alarm.Metrics[0].Expression).toMatch(/^SELECT MAX\(EstimatedMonthlyCostUsd\) FROM SCHEMA\(MpuReaper, Bucket, service\) GROUP BY Bucket/);
    const body = stack.template.Resources.MonitoringDashboard.Properties.DashboardBody as { 'Fn::Sub': [string, unknown] };
    const titles = (JSON.parse(body['Fn::Sub'][0]).widgets as Array<{ properties: { title: string } }>).map((w) => w.properties.title);
    expect(titles.filter((title) => title.startsWith('Debt:'))).toHaveLength(2);
  });

  it('packages neither rule nor permission nor alarm with --param="debtScanSchedule=off"; the function stays', () => {
    expect(VARIANTS.cliAllowlist).toContain('--param=debtScanSchedule=off');
    expect(off.template.Resources.DebtScanScheduleRule).toBeUndefined();
    expect(off.ofType('AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties.Targets).includes('DebtScan'))).toEqual([]);
    expect(off.ofType('AWS::Lambda::Permission').filter(([, p]) => JSON.stringify(p.Properties.FunctionName).includes('DebtScan'))).toEqual([]);
    expect(off.template.Resources.DebtMonthlyCostAlarm).toBeUndefined();
    expect(off.template.Resources.DebtScanLambdaFunction).toBeDefined();
  });
});
