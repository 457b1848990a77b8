/** plugins/monitoring.cjs: options, and the alarms and dashboard it adds to a small hand-made template. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties of every resource type, read in assertions
type Resource = { Type: string; Properties: Record<string, any> };
interface Options {
  stateMachines: string[];
  deadLetterQueue: string;
  recordsTable: string;
  namespace: string;
  alarmTopicArn: string;
  level?: string;
}
const plugin = createRequire(import.meta.url)('../../plugins/monitoring.cjs') as {
  parseMonitoringOptions: (value: unknown) => Options;
  addMonitoring: (template: { Resources: Record<string, Resource> }, options: Options, names: { service: string; stage: string }) => string[];
};

const OPTIONS = {
  stateMachines: ['AbortUploadStateMachine', 'SweepUploadsStateMachine'],
  deadLetterQueue: 'Dlq',
  recordsTable: 'RecordsTable',
  namespace: 'MpuReaper',
};
const template = (): { Resources: Record<string, Resource> } => ({
  Resources: Object.fromEntries(
    ['AbortUploadStateMachine', 'SweepUploadsStateMachine', 'Dlq', 'RecordsTable'].map((id) => [id, { Type: 'X', Properties: {} }]),
  ),
});

describe('monitoring plugin: custom.monitoring', () => {
  it('accepts the options, the topic defaulting to none', () => {
    expect(plugin.parseMonitoringOptions(OPTIONS)).toStrictEqual({ ...OPTIONS, alarmTopicArn: '', level: 'full' });
  });

  it.each([
    ['missing', undefined, /must be an object/],
    ['no state machines', { ...OPTIONS, stateMachines: [] }, /stateMachines must list/],
    ['an unknown option', { ...OPTIONS, email: 'x' }, /unknown option email/],
    ['a topic that is no SNS ARN', { ...OPTIONS, alarmTopicArn: 'ops@example.com' }, /alarmTopicArn must be an SNS topic ARN/],
    ['an unknown level', { ...OPTIONS, level: 'some' }, /level must be full or minimal \(the stage param monitoring\)/],
  ])('rejects %s with a clear message', (_name, value, message) => {
    expect(() => plugin.parseMonitoringOptions(value)).toThrow(message);
  });
});

describe('monitoring plugin: template', () => {
  it('alarms on failed, timed-out and throttled executions of each state machine, PARTS_REMAIN, throttled transitions and the DLQ', () => {
    // Arrange
    const t = template();

    // Act
    const added = plugin.addMonitoring(t, { ...OPTIONS, alarmTopicArn: '' }, { service: 's', stage: 'dev' });

    // Assert
    expect(added.filter((id) => id.endsWith('Alarm'))).toHaveLength(2 * 3 + 4);
    expect(t.Resources.AbortUploadStateMachineFailedAlarm.Properties).toMatchObject({
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsFailed',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: 'AbortUploadStateMachine' } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(t.Resources.SweepUploadsStateMachineThrottledAlarm.Properties.MetricName).toBe('ExecutionThrottled');
    expect(t.Resources.PartsRemainAlarm.Properties).toMatchObject({
      Namespace: 'MpuReaper',
      MetricName: 'UploadOutcomes',
      Dimensions: [
        { Name: 'service', Value: 'abort-upload' },
        { Name: 'Status', Value: 'PARTS_REMAIN' },
      ],
    });
    expect(t.Resources.DeadLetterQueueAlarm.Properties.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['Dlq', 'QueueName'] } }]);
    expect(t.Resources.PartsRemainAlarm.Properties.AlarmActions).toBeUndefined();
  });

  it('sends every alarm and its recovery to the topic when one is given', () => {
    const t = template();
    const topic = 'arn:aws:sns:us-east-1:111122223333:ops';
    plugin.addMonitoring(t, { ...OPTIONS, alarmTopicArn: topic }, { service: 's', stage: 'dev' });
    const alarms = Object.values(t.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    for (const a of alarms) expect(a.Properties).toMatchObject({ AlarmActions: [topic], OKActions: [topic] });
  });

  it('builds a dashboard whose body is JSON once Fn::Sub has replaced the region, the table and the state machine ARNs', () => {
    const t = template();
    plugin.addMonitoring(t, { ...OPTIONS, alarmTopicArn: '' }, { service: 's', stage: 'dev' });
    const [body, variables] = t.Resources.MonitoringDashboard.Properties.DashboardBody['Fn::Sub'];
    const substituted = body.replace(/\$\{(\w+)\}/g, (_: string, name: string) => {
      expect(variables, name).toHaveProperty(name);
      return `<${name}>`;
    });
    const titles = JSON.parse(substituted).widgets.map((w: { properties: { title: string } }) => w.properties.title);
    expect(titles).toEqual(expect.arrayContaining(['Uploads by outcome', 'Bytes freed per bucket', 'Sweep duration (ms)']));
    expect(t.Resources.MonitoringDashboard.Properties.DashboardName).toBe('s-dev');
  });

  it('minimal: failed executions, PARTS_REMAIN and the DLQ only, no dashboard', () => {
    const t = template();
    const added = plugin.addMonitoring(t, { ...OPTIONS, alarmTopicArn: '', level: 'minimal' }, { service: 's', stage: 'dev' });
    expect(added.sort()).toEqual(
      ['AbortUploadStateMachineFailedAlarm', 'SweepUploadsStateMachineFailedAlarm', 'PartsRemainAlarm', 'SweepPartsRemainAlarm', 'DeadLetterQueueAlarm'].sort(),
    );
  });

  it('refuses a logical id the template does not have', () => {
    expect(() => plugin.addMonitoring(template(), { ...OPTIONS, stateMachines: ['Nope'], alarmTopicArn: '' }, { service: 's', stage: 'dev' })).toThrow(
      /names Nope/,
    );
  });
});

describe('monitoring plugin: the debt scan', () => {
  const debt = (schedule: string, alarmMonthlyUsd: unknown = 100) => plugin.parseMonitoringOptions({ ...OPTIONS, debtScan: { schedule, alarmMonthlyUsd } });
  const widgetsOf = (t: { Resources: Record<string, Resource> }) =>
    JSON.parse(t.Resources.MonitoringDashboard.Properties.DashboardBody['Fn::Sub'][0]).widgets as Array<{
      properties: { title: string; period: number; metrics: Array<Array<{ expression: string }>>; annotations: { horizontal: unknown[] } };
    }>;

  it('alarms when a bucket costs more than the stage param a month: a Metrics Insights query grouped by Bucket, state held between scans', () => {
    // Arrange: a --param arrives as a string
    const t = template();

    // Act
    const added = plugin.addMonitoring(
      t,
      { ...debt('rate(1 day)', '250'), alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops' },
      { service: 's', stage: 'dev' },
    );

    // Assert
    expect(added).toContain('DebtMonthlyCostAlarm');
    const alarm = t.Resources.DebtMonthlyCostAlarm.Properties;
    expect(alarm).toMatchObject({ Threshold: 250, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'ignore', EvaluationPeriods: 1 });
    expect(alarm.AlarmActions).toEqual(['arn:aws:sns:us-east-1:123456789012:ops']);
    expect(alarm.Metrics).toEqual([
      {
        Id: 'debt',
        Expression: 'SELECT MAX(EstimatedMonthlyCostUsd) FROM SCHEMA(MpuReaper, Bucket, service) GROUP BY Bucket ORDER BY MAX() DESC',
        Period: 3600,
        ReturnData: true,
      },
    ]);
    // an alarm cannot use SEARCH: the dashboard can, and charts every bucket published, at the schedule's period
    const widgets = widgetsOf(t).filter((w) => w.properties.title.startsWith('Debt'));
    expect(widgets.map((w) => w.properties.metrics[0][0].expression)).toEqual([
      `SEARCH('{MpuReaper,Bucket,service} MetricName="EstimatedMonthlyCostUsd"', 'Maximum', 86400)`,
      `SEARCH('{MpuReaper,Bucket,service} MetricName="IncompleteUploadBytes"', 'Maximum', 86400)`,
    ]);
    expect(widgets[0].properties.annotations.horizontal).toEqual([{ label: 'DebtMonthlyCostAlarm', value: 250 }]);
  });

  it('charts at the rate of the schedule; adds neither alarm nor widgets when the scan is off or monitoring minimal', () => {
    const hourly = template();
    plugin.addMonitoring(hourly, debt('rate(6 hours)'), { service: 's', stage: 'dev' });
    expect(
      widgetsOf(hourly)
        .filter((w) => w.properties.title.startsWith('Debt'))
        .map((w) => w.properties.period),
    ).toEqual([21600, 21600]);

    const off = template();
    expect(plugin.addMonitoring(off, debt('off'), { service: 's', stage: 'dev' })).not.toContain('DebtMonthlyCostAlarm');
    expect(widgetsOf(off).filter((w) => w.properties.title.startsWith('Debt'))).toEqual([]);

    const minimal = template();
    expect(plugin.addMonitoring(minimal, { ...debt('rate(1 day)'), level: 'minimal' }, { service: 's', stage: 'dev' })).not.toContain('DebtMonthlyCostAlarm');
  });

  it.each([
    ['a schedule that is no expression', { schedule: 'daily', alarmMonthlyUsd: 100 }, /debtScanSchedule must be a rate\(…\) or cron\(…\) expression, or off/],
    ['a plural unit for 1', { schedule: 'rate(1 days)', alarmMonthlyUsd: 100 }, /debtScanSchedule/],
    ['a threshold of 0', { schedule: 'off', alarmMonthlyUsd: 0 }, /debtAlarmMonthlyUsd must be a number of US dollars a month above 0/],
    ['a threshold that is no number', { schedule: 'off', alarmMonthlyUsd: 'lots' }, /debtAlarmMonthlyUsd/],
  ])('rejects %s, naming the stage param', (_name, debtScan, message) => {
    expect(() => plugin.parseMonitoringOptions({ ...OPTIONS, debtScan })).toThrow(message);
  });
});
