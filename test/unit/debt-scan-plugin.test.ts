/** plugins/debt-scan.cjs: the debt scan's schedule rule and invoke permission, absent when the schedule is off. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

type Resource = { Type: string; Properties: Record<string, unknown> };
const plugin = createRequire(import.meta.url)('../../plugins/debt-scan.cjs') as {
  parseDebtScan: (value: unknown) => { schedule: string | null; alarmMonthlyUsd: number };
  addDebtScan: (template: { Resources: Record<string, Resource> }, options: { schedule: string | null; alarmMonthlyUsd: number }) => void;
};
const template = () => ({ Resources: { DebtScanLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: {} } } as Record<string, Resource> });

describe('debt-scan plugin', () => {
  it('adds a rule with the schedule that invokes the function, and the permission for that rule alone', () => {
    // Arrange
    const t = template();

    // Act
    plugin.addDebtScan(t, plugin.parseDebtScan({ schedule: 'cron(0 6 * * ? *)', alarmMonthlyUsd: '100' }));

    // Assert
    expect(t.Resources.DebtScanScheduleRule).toMatchObject({
      Type: 'AWS::Events::Rule',
      Properties: {
        ScheduleExpression: 'cron(0 6 * * ? *)',
        State: 'ENABLED',
        Targets: [{ Id: 'debtScan', Arn: { 'Fn::GetAtt': ['DebtScanLambdaFunction', 'Arn'] } }],
      },
    });
    expect(t.Resources.DebtScanSchedulePermission.Properties).toEqual({
      FunctionName: { 'Fn::GetAtt': ['DebtScanLambdaFunction', 'Arn'] },
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': ['DebtScanScheduleRule', 'Arn'] },
    });
  });

  it('adds nothing when the schedule is off', () => {
    const t = template();
    plugin.addDebtScan(t, plugin.parseDebtScan({ schedule: 'off', alarmMonthlyUsd: 100 }));
    expect(Object.keys(t.Resources)).toEqual(['DebtScanLambdaFunction']);
  });

  it('refuses a template without the function, and unknown options', () => {
    expect(() => plugin.addDebtScan({ Resources: {} }, { schedule: 'rate(1 day)', alarmMonthlyUsd: 1 })).toThrow(/needs the function debtScan/);
    expect(() => plugin.parseDebtScan({ schedule: 'rate(1 day)', alarmMonthlyUsd: 1, every: 2 })).toThrow(/unknown option every/);
  });
});
