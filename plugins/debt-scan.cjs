'use strict';

/**
 * Local Serverless (osls) plugin: the scheduled debt scan (functions/debt-scan.ts, lib/scan/debt.ts).
 *
 * Configuration (serverless.yml):
 *   custom:
 *     debtScan:
 *       schedule: rate(1 day)      # the stage param debtScanSchedule: a rate(…) or cron(…) expression, or off
 *       alarmMonthlyUsd: 100       # the stage param debtAlarmMonthlyUsd: DebtMonthlyCostAlarm's threshold (monitoring.cjs)
 *
 * Adds, unless the schedule is off: DebtScanScheduleRule (an EventBridge rule on the default bus with the schedule,
 * targeting the function) and DebtScanSchedulePermission (EventBridge may invoke the function, from that rule only).
 * Off, neither is in the template: the function stays (an operator can invoke it) but nothing runs it. A plugin, not
 * the framework's `schedule` event: that one always creates its rule (DISABLED at best) and needs a valid rate.
 */
const { templatePlugin } = require('./template-plugin.cjs');

const FUNCTION_ID = 'DebtScanLambdaFunction';
const OFF = 'off';
// EventBridge's schedule expressions: rate(value unit), a singular unit for 1 (EventBridge User Guide, "Schedule expressions for rules")
const RATE = /^rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\)$/;
const CRON = /^cron\(\S+( \S+){5}\)$/;
const UNIT_SECONDS = { minute: 60, hour: 3600, day: 86400 };

/** @param {unknown} value */
function parseDebtScan(value) {
  const where = 'custom.debtScan';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where} must be an object with schedule and alarmMonthlyUsd`);
  const known = ['schedule', 'alarmMonthlyUsd'];
  for (const key of Object.keys(value)) if (!known.includes(key)) throw new Error(`${where}: unknown option ${key} (known: ${known.join(', ')})`);
  const { schedule, alarmMonthlyUsd } = /** @type {Record<string, unknown>} */ (value);
  if (typeof schedule !== 'string' || (schedule !== OFF && !RATE.test(schedule) && !CRON.test(schedule))) {
    throw new Error(`debtScanSchedule must be a rate(…) or cron(…) expression, or off, e.g. rate(1 day); not ${JSON.stringify(schedule)}`);
  }
  const usd = typeof alarmMonthlyUsd === 'string' && alarmMonthlyUsd.trim() !== '' ? Number(alarmMonthlyUsd) : alarmMonthlyUsd;
  if (typeof usd !== 'number' || !Number.isFinite(usd) || usd <= 0) {
    throw new Error(`debtAlarmMonthlyUsd must be a number of US dollars a month above 0, e.g. 100; not ${JSON.stringify(alarmMonthlyUsd)}`);
  }
  return { schedule: schedule === OFF ? null : schedule, alarmMonthlyUsd: usd };
}

/** the schedule's interval in seconds (a day for a cron expression): the dashboard's period for the debt metrics */
function scheduleSeconds(schedule) {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  return rate ? Number(rate[1]) * UNIT_SECONDS[rate[2]] : UNIT_SECONDS.day;
}

function addDebtScan(template, options) {
  if (!template.Resources[FUNCTION_ID]) throw new Error(`custom.debtScan needs the function debtScan (${FUNCTION_ID}), which the template does not have`);
  if (!options.schedule) return;
  const added = {
    DebtScanScheduleRule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Description: 'the debt scan: incomplete uploads of the allowlisted buckets, as metrics (stage param debtScanSchedule)',
        ScheduleExpression: options.schedule,
        State: 'ENABLED',
        Targets: [{ Id: 'debtScan', Arn: { 'Fn::GetAtt': [FUNCTION_ID, 'Arn'] } }],
      },
    },
    DebtScanSchedulePermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        FunctionName: { 'Fn::GetAtt': [FUNCTION_ID, 'Arn'] },
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': ['DebtScanScheduleRule', 'Arn'] },
      },
    },
  };
  for (const [id, resource] of Object.entries(added)) {
    if (template.Resources[id]) throw new Error(`the template already has a resource ${id}`);
    template.Resources[id] = resource;
  }
}

module.exports = templatePlugin({ customKey: 'debtScan', parse: parseDebtScan, addToTemplate: addDebtScan, errorCode: 'DEBT_SCAN' });
module.exports.parseDebtScan = parseDebtScan;
module.exports.addDebtScan = addDebtScan;
module.exports.scheduleSeconds = scheduleSeconds;
