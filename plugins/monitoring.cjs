'use strict';

/**
 * Local Serverless (osls) plugin: CloudWatch alarms and a dashboard for the workflows, added to the template at
 * package time from one small block of options (a dozen near-identical alarms written out in YAML would drift).
 *
 * Configuration (serverless.yml):
 *   custom:
 *     monitoring:
 *       stateMachines: [AbortUploadStateMachine, …]   # logical ids: failed, timed-out and throttled executions alarm
 *       deadLetterQueue: AbortRequestsDeadLetterQueue  # logical id: any message visible alarms
 *       recordsTable: RecordsTable                     # logical id: its write capacity is charted (a cost driver)
 *       namespace: MpuReaper                           # the EMF namespace record-outcome writes to
 *       alarmTopicArn: ''                              # optional SNS topic ARN that receives every alarm and its recovery
 *       level: full                                    # full (below) | minimal: failed executions, PARTS_REMAIN and the
 *                                                      # DLQ only, no dashboard (docs/deploy.md: the fixed monthly cost)
 *       debtScan: { schedule, alarmMonthlyUsd }        # optional: custom.debtScan (plugins/debt-scan.cjs)
 *
 * Adds:
 *   - per state machine: <Id>FailedAlarm, <Id>TimedOutAlarm, <Id>ThrottledAlarm (AWS/States ExecutionsFailed,
 *     ExecutionsTimedOut, ExecutionThrottled by StateMachineArn; ≥ 1 in 5 minutes);
 *   - PartsRemainAlarm, SweepPartsRemainAlarm: <namespace> UploadOutcomes{service=abort-upload|sweep, Status=PARTS_REMAIN}
 *     ≥ 1 (Step Functions counts failed executions, not why they failed: record-outcome and sweep-record publish it);
 *   - StateTransitionsThrottledAlarm: AWS/States ThrottledEvents{ServiceMetric=StateTransition} ≥ 1 (account quota);
 *   - DeadLetterQueueAlarm: AWS/SQS ApproximateNumberOfMessagesVisible ≥ 1 (events EventBridge could not deliver);
 *   - MonitoringDashboard: uploads by outcome, bytes freed per bucket, executions per state machine, sweep
 *     durations, and the cost drivers (executions started, Lambda invocations, DynamoDB write units);
 *   - full, with the debt scan on: DebtMonthlyCostAlarm (a bucket's EstimatedMonthlyCostUsd above alarmMonthlyUsd)
 *     and two dashboard widgets, the debt's dollars and bytes per bucket.
 */
const { templatePlugin } = require('./template-plugin.cjs');
const { parseDebtScan, scheduleSeconds } = require('./debt-scan.cjs');

const PERIOD = 300;

/** @param {unknown} value */
function parseMonitoringOptions(value) {
  const where = 'custom.monitoring';
  if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${where} must be an object with stateMachines, deadLetterQueue, recordsTable and namespace`);
  }
  const known = ['stateMachines', 'deadLetterQueue', 'recordsTable', 'namespace', 'alarmTopicArn', 'level', 'debtScan'];
  for (const key of Object.keys(value)) if (!known.includes(key)) throw new Error(`${where}: unknown option ${key} (known: ${known.join(', ')})`);
  const {
    stateMachines,
    deadLetterQueue,
    recordsTable,
    namespace,
    alarmTopicArn = '',
    level = 'full',
    debtScan,
  } = /** @type {Record<string, unknown>} */ (value);
  if (level !== 'full' && level !== 'minimal')
    throw new Error(`${where}.level must be full or minimal (the stage param monitoring), not ${JSON.stringify(level)}`);
  if (!Array.isArray(stateMachines) || stateMachines.length === 0 || !stateMachines.every((id) => typeof id === 'string' && /^[A-Za-z0-9]+$/.test(id))) {
    throw new Error(`${where}.stateMachines must list the state machines' logical ids`);
  }
  for (const [name, id] of Object.entries({ deadLetterQueue, recordsTable, namespace })) {
    if (typeof id !== 'string' || !/^[A-Za-z0-9]+$/.test(id)) throw new Error(`${where}.${name} must be a logical id or name of letters and digits`);
  }
  if (typeof alarmTopicArn !== 'string' || (alarmTopicArn !== '' && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(alarmTopicArn))) {
    throw new Error(`${where}.alarmTopicArn must be an SNS topic ARN or empty, not ${JSON.stringify(alarmTopicArn)}`);
  }
  return {
    stateMachines,
    deadLetterQueue,
    recordsTable,
    namespace,
    alarmTopicArn,
    level,
    ...(debtScan === undefined ? {} : { debtScan: parseDebtScan(debtScan) }),
  };
}

function alarm(description, metric, actions) {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmDescription: description,
      ...metric,
      Statistic: metric.Statistic ?? 'Sum',
      Period: PERIOD,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      ...actions,
    },
  };
}

const EXECUTION_ALARMS = [
  ['Failed', 'ExecutionsFailed', 'failed'],
  ['TimedOut', 'ExecutionsTimedOut', 'timed out'],
  ['Throttled', 'ExecutionThrottled', 'were throttled'],
];

/** The dashboard's widgets; ${Region} and ${Sm<i>} are substituted by Fn::Sub. */
function dashboardBody(options) {
  const sm = options.stateMachines.map((_, i) => `\${Sm${i}}`);
  const widget = (x, y, title, metrics, extra = {}) => ({
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region: '${Region}', period: PERIOD, stat: 'Sum', view: 'timeSeries', metrics, ...extra },
  });
  const search = (expression, id) => [{ expression, id, label: '' }];
  return JSON.stringify({
    widgets: [
      widget(0, 0, 'Uploads by outcome', [search(`SEARCH('{${options.namespace},service,Status} MetricName="UploadOutcomes"', 'Sum', ${PERIOD})`, 'outcomes')]),
      widget(12, 0, 'Bytes freed per bucket', [search(`SEARCH('{${options.namespace},Bucket,service} MetricName="BytesFreed"', 'Sum', 3600)`, 'freed')], {
        period: 3600,
      }),
      widget(
        0,
        6,
        'Executions started, failed',
        sm.flatMap((arn) => [
          ['AWS/States', 'ExecutionsStarted', 'StateMachineArn', arn],
          ['AWS/States', 'ExecutionsFailed', 'StateMachineArn', arn],
        ]),
      ),
      widget(12, 6, 'Sweep duration (ms)', [
        ['AWS/States', 'ExecutionTime', 'StateMachineArn', sm[options.stateMachines.indexOf('SweepUploadsStateMachine')] ?? sm[0], { stat: 'Maximum' }],
      ]),
      widget(0, 12, 'Cost drivers: Lambda invocations, DynamoDB write units', [
        search(`SEARCH('{AWS/Lambda,FunctionName} MetricName="Invocations"', 'Sum', ${PERIOD})`, 'invocations'),
        ['AWS/DynamoDB', 'ConsumedWriteCapacityUnits', 'TableName', '${Table}'],
      ]),
      widget(12, 12, 'State transitions throttled (account)', [['AWS/States', 'ThrottledEvents', 'ServiceMetric', 'StateTransition']]),
      ...debtWidgets(options, widget, search),
    ],
  });
}

/**
 * The debt scan's two widgets, every bucket it published (a SEARCH: an allowlist of "*" or prefixes names no bucket
 * up front), one point per scan: its period is the schedule's interval (≥ 5 minutes), the statistic the maximum.
 */
function debtWidgets(options, widget, search) {
  if (!options.debtScan?.schedule) return [];
  const { schedule, alarmMonthlyUsd } = options.debtScan;
  const period = Math.max(PERIOD, scheduleSeconds(schedule));
  const of = (metric, id) => search(`SEARCH('{${options.namespace},Bucket,service} MetricName="${metric}"', 'Maximum', ${period})`, id);
  const extra = { period, stat: 'Maximum' };
  return [
    widget(0, 18, 'Debt: estimated USD a month per bucket (incomplete uploads)', [of('EstimatedMonthlyCostUsd', 'debtUsd')], {
      ...extra,
      annotations: { horizontal: [{ label: 'DebtMonthlyCostAlarm', value: alarmMonthlyUsd }] },
    }),
    widget(12, 18, 'Debt: incomplete-upload bytes per bucket', [of('IncompleteUploadBytes', 'debtBytes')], extra),
  ];
}

/**
 * A bucket's estimated monthly cost above the threshold. A Metrics Insights query: an alarm cannot use SEARCH, and a
 * query grouped by Bucket makes every bucket a contributor of one alarm, buckets that appear later included
 * (CloudWatch User Guide, "Create a CloudWatch alarm based on a Metrics Insights query"; 500 series at most, hence the
 * costliest first). Such an alarm evaluates the last 3 hours only and the scan publishes once per schedule: missing
 * data is ignored, so the state holds until the next scan.
 */
function debtAlarm(options, actions) {
  const { alarmMonthlyUsd } = options.debtScan;
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmDescription: `a bucket's incomplete uploads cost more than ${alarmMonthlyUsd} USD a month (EstimatedMonthlyCostUsd of the debt scan; stage param debtAlarmMonthlyUsd)`,
      Metrics: [
        {
          Id: 'debt',
          Expression: `SELECT MAX(EstimatedMonthlyCostUsd) FROM SCHEMA(${options.namespace}, Bucket, service) GROUP BY Bucket ORDER BY MAX() DESC`,
          Period: 3600,
          ReturnData: true,
        },
      ],
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: alarmMonthlyUsd,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'ignore',
      ...actions,
    },
  };
}

/**
 * Adds the alarms and the dashboard to a compiled template; returns the logical ids added.
 * @param {{ Resources: Record<string, any>, Conditions?: Record<string, any> }} template
 */
function addMonitoring(template, options, names) {
  for (const id of [...options.stateMachines, options.deadLetterQueue, options.recordsTable]) {
    if (!template.Resources[id]) throw new Error(`custom.monitoring names ${id}, which the template does not have`);
  }
  const actions = options.alarmTopicArn ? { AlarmActions: [options.alarmTopicArn], OKActions: [options.alarmTopicArn] } : {};
  const added = {};
  const minimal = options.level === 'minimal';
  for (const id of options.stateMachines) {
    // minimal: failures only (timeouts and throttling end as failures of the machine that started them)
    for (const [suffix, metricName, what] of minimal ? EXECUTION_ALARMS.slice(0, 1) : EXECUTION_ALARMS) {
      added[`${id}${suffix}Alarm`] = alarm(
        `executions of ${id} ${what}`,
        {
          Namespace: 'AWS/States',
          MetricName: metricName,
          Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: id } }],
        },
        actions,
      );
    }
  }
  // abort-upload's record-outcome and the sweep's sweep-record both publish outcomes (service abort-upload, sweep)
  for (const [id, service] of [
    ['PartsRemainAlarm', 'abort-upload'],
    ['SweepPartsRemainAlarm', 'sweep'],
  ]) {
    added[id] = alarm(
      `an upload ended PARTS_REMAIN (${service}): parts were still listed after the last allowed abort`,
      {
        Namespace: options.namespace,
        MetricName: 'UploadOutcomes',
        Dimensions: [
          { Name: 'service', Value: service },
          { Name: 'Status', Value: 'PARTS_REMAIN' },
        ],
      },
      actions,
    );
  }
  if (!minimal)
    added.StateTransitionsThrottledAlarm = alarm(
      'Step Functions throttled state transitions in this account and region (quota)',
      {
        Namespace: 'AWS/States',
        MetricName: 'ThrottledEvents',
        Dimensions: [{ Name: 'ServiceMetric', Value: 'StateTransition' }],
      },
      actions,
    );
  added.DeadLetterQueueAlarm = alarm(
    'EventBridge could not deliver an event to its target (abort or sweep request, upload event, status change)',
    {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [options.deadLetterQueue, 'QueueName'] } }],
    },
    actions,
  );
  if (!minimal && options.debtScan?.schedule) added.DebtMonthlyCostAlarm = debtAlarm(options, actions);
  if (!minimal)
    added.MonitoringDashboard = {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: {
        DashboardName: `${names.service}-${names.stage}`,
        DashboardBody: {
          'Fn::Sub': [
            dashboardBody(options),
            {
              Region: { Ref: 'AWS::Region' },
              Table: { Ref: options.recordsTable },
              ...Object.fromEntries(options.stateMachines.map((id, i) => [`Sm${i}`, { Ref: id }])),
            },
          ],
        },
      },
    };
  for (const [id, resource] of Object.entries(added)) {
    if (template.Resources[id]) throw new Error(`the template already has a resource ${id}`);
    template.Resources[id] = resource;
  }
  return Object.keys(added);
}

const MonitoringPlugin = templatePlugin({ customKey: 'monitoring', parse: parseMonitoringOptions, addToTemplate: addMonitoring, errorCode: 'MONITORING' });

module.exports = MonitoringPlugin;
module.exports.parseMonitoringOptions = parseMonitoringOptions;
module.exports.addMonitoring = addMonitoring;
