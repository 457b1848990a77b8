/** lib/serverless/monitoring.cjs: options, and the alarms and dashboard it adds to a small hand-made template. */
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
const plugin = createRequire(import.meta.url)('../../lib/serverless/monitoring.cjs') as {
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
