/** `mpu-reaper report`: what the ABORTED records since a time freed, and the monthly cost that avoids (lib/report/report.ts). */
import { ABORT_SETTINGS_DEFAULTS } from '../settings.ts';
import { writeFile } from 'node:fs/promises';
import { ChartUnavailable, renderPng } from '../chart.ts';
import { bytesFreedChartSpec } from '../report/chart.ts';
import { readReportRows, reportQuery, type Report } from '../report/report.ts';
import { parseAge } from '../sweep/plan.ts';
import { COMMON_FLAGS, COMMON_OPTIONS, parse } from './args.ts';
import { formatTable, shortBytes } from './format.ts';
import { CliFailure, UsageError, type CliClients, type CliIo } from './io.ts';
import { resolveTarget } from './resolve.ts';
import { usd } from './scan.ts';

export const REPORT_USAGE = `Usage: mpu-reaper report [--since 30d] [--bucket B] [--json] [--chart FILE.png] [--retention 90d]

Uploads aborted, bytes freed and the monthly cost they no longer add (the scan's S3 list prices), by bucket, storage
class and day, from the ABORTED upload records started since then; months past the records' retention from the ledger.

  --since AGE                 how far back, 1h to 400d (default 30d)
  --bucket NAME               one bucket only
  --chart FILE.png            also draw bytes freed per day by bucket (needs vega, vega-lite, @resvg/resvg-js)
  --retention AGE             the stack's RecordRetentionSeconds (default ${ABORT_SETTINGS_DEFAULTS.RecordRetentionSeconds / 86_400}d; 0s: records kept)
${COMMON_FLAGS}`;

export function reportText(report: Report): string {
  const { totals } = report;
  const rows = report.buckets.map((b) => [
    b.bucket,
    b.uploads,
    shortBytes(b.bytesFreed),
    usd(b.monthlyCostAvoidedUsd),
    Object.keys(b.byStorageClass).sort().join(' '),
    b.zeroPartUploads,
  ]);
  const lines = [
    `since ${report.since}: ${totals.uploads} uploads aborted, ${shortBytes(totals.bytesFreed)} freed, ${usd(totals.monthlyCostAvoidedUsd)}/month avoided; ${totals.zeroPartUploads} with no parts`,
    ...(rows.length ? [formatTable(['bucket', 'uploads', 'freed', 'per month', 'classes', 'no parts'], rows, { rule: false })] : []),
    ...(report.days.length
      ? [
          '',
          formatTable(
            ['day', 'uploads', 'freed'],
            report.days.map((d) => [d.day, d.uploads, shortBytes(d.bytesFreed)]),
            { rule: false },
          ),
        ]
      : []),
    ...(report.ledgerMonths ? [`months from the ledger (past the records' retention, no days): ${report.ledgerMonths.join(' ')}`] : []),
    ...(report.priceNotes ?? []).map((note) => `note: ${note}`),
  ];
  return `${lines.join('\n')}\n`;
}

export async function reportCommand(argv: string[], io: CliIo, clients: () => CliClients, now = new Date()): Promise<number> {
  const { values } = parse('report', argv, {
    since: { type: 'string' },
    bucket: { type: 'string' },
    retention: { type: 'string' },
    chart: { type: 'string' },
    ...COMMON_OPTIONS,
  });
  if (values.help) {
    io.stdout.write(`${REPORT_USAGE}\n`);
    return 0;
  }
  const asked = reportQuery(
    Object.fromEntries(Object.entries({ since: values.since, bucket: values.bucket }).filter(([, v]) => v !== undefined)) as Record<string, string>,
    now,
  );
  if ('rule' in asked) throw new UsageError(`report: --${asked.field}: ${asked.rule}`);
  const retentionSeconds = values.retention === undefined ? ABORT_SETTINGS_DEFAULTS.RecordRetentionSeconds : parseAge(values.retention as string);
  if (values.chart !== undefined && !/\.png$/i.test(values.chart as string)) throw new UsageError('report: --chart: must name a .png file');
  if (retentionSeconds === undefined)
    throw new UsageError('report: --retention: must be a duration such as "90d" (units s, m, h, d), or 0s when the stack keeps its records');
  const { tableName } = await resolveTarget(
    { table: true },
    { table: values.table as string | undefined, stack: values.stack as string | undefined },
    io.env,
    clients,
  );
  const { report, rows } = await readReportRows({ doc: clients().doc, tableName, retentionSeconds }, asked, now);
  if (values.chart !== undefined) {
    const png = await renderPng(bytesFreedChartSpec(rows, report.since)).catch((error: unknown) => {
      throw error instanceof ChartUnavailable ? new CliFailure(`report: --chart: ${error.message}`) : error;
    });
    await writeFile(values.chart as string, png);
  }
  io.stdout.write(values.json ? `${JSON.stringify(report)}\n` : reportText(report));
  return 0;
}
