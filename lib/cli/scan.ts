/** `mpu-reaper scan`: incomplete uploads and their monthly cost, per bucket, read-only, with nothing deployed. */
import { clientConfig, s3ClientsByRegion } from '../aws.ts';
import { bucketProblem } from '../validation.ts';
import { parseAge } from '../sweep/plan.ts';
import type { BucketScan } from '../scan/aggregate.ts';
import { PRICE_SOURCE } from '../scan/prices.ts';
import { NoSuchBucketError, SCAN_SDK_OPTIONS, scanAccount, type S3ForRegion, type ScanProgress, type ScanReport } from '../scan/scan.ts';
import { parse } from './args.ts';
import { formatTable, shortBytes } from './format.ts';
import { createProgressDisplay, type Output } from './progress.ts';
import { UsageError, type CliIo } from './io.ts';

export const SCAN_USAGE = `Usage: mpu-reaper scan [--bucket B …] [--prefix P] [--region R] [--older-than AGE] [--json | --csv]

Lists every incomplete multipart upload in the buckets you can list (or those named), measures each with ListParts,
and prints per bucket: uploads, parts, bytes, the estimated monthly cost in USD, the oldest upload, the newest part,
uploads active in the last hour, uploads with no parts, and the bucket's lifecycle rule that aborts incomplete uploads.
Read-only: nothing is deployed, nothing is written. Uses your credentials (AWS_PROFILE, AWS_REGION; AWS_ENDPOINT_URL
for the local stack). Progress goes to stderr.

  --bucket B                  scan this bucket (repeat for several; default: every bucket ListBuckets shows)
  --prefix P                  only uploads whose key starts with P
  --region R                  only buckets in this region
  --older-than AGE            only uploads initiated more than AGE ago: 30m, 24h, 7d (units s, m, h, d)
  --json                      print one JSON document
  --csv                       print one CSV row per bucket
  -h, --help                  show this help`;

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** one S3 client per region, retrying throttles (503 SlowDown) with the SDK's adaptive backoff */
export function s3ForEnvironment(env: NodeJS.ProcessEnv): S3ForRegion {
  // keys in this environment (not necessarily process.env, which the SDK's default chain reads)
  const keys =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN } }
      : {};
  return s3ClientsByRegion({ ...clientConfig(env), ...keys, ...SCAN_SDK_OPTIONS });
}

/** dollars: four decimals below a cent (small costs stay visible), else two */
export const usd = (value: number) => `$${value < 0.01 && value > 0 ? value.toFixed(4) : value.toFixed(2)}`;
const day = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '');
const lifecycleCell = (row: BucketScan) => {
  if (row.error) return '';
  if (row.lifecycleAbortRules.length === 0) return row.notes.some((n) => n.startsWith('lifecycle')) ? '?' : 'none';
  return row.lifecycleAbortRules.map((r) => `${r.days}d ${r.prefix === '' ? '(all)' : `(${r.prefix})`}`).join(', ');
};

/** the aligned table, largest cost first, then the totals and what to do about buckets without an abort rule */
export function scanTable(report: ScanReport): string {
  const header = ['BUCKET', 'REGION', 'UPLOADS', 'PARTS', 'BYTES', 'USD/MONTH', 'OLDEST', 'LAST PART', 'ACTIVE 1H', 'NO PARTS', 'LIFECYCLE ABORT', 'ERROR'];
  const rows = report.buckets.map((r) => [
    r.bucket,
    r.region ?? '',
    r.uploads,
    r.parts,
    shortBytes(r.bytes),
    usd(r.monthlyCostUsd),
    day(r.oldestInitiated),
    day(r.lastPartAt),
    r.activeUploads,
    r.zeroPartUploads,
    lifecycleCell(r),
    r.error ?? (r.uploadErrors ? `${r.uploadErrors} uploads not measured` : ''),
  ]);
  const t = report.totals;
  rows.push(['TOTAL', '', t.uploads, t.parts, shortBytes(t.bytes), usd(t.monthlyCostUsd), '', '', t.activeUploads, t.zeroPartUploads, '', '']);
  const lines = [formatTable(header, rows)];
  if (t.bucketsWithoutAbortRule.length)
    lines.push(
      '',
      `No lifecycle rule aborts incomplete uploads in the whole bucket: ${t.bucketsWithoutAbortRule.join(', ')}`,
      'Add one with: mpu-reaper lifecycle --bucket B --days 7 (shows the change; --apply writes it)',
    );
  const notes = [...new Set(report.buckets.flatMap((r) => r.notes.map((n) => `${r.bucket}: ${n}`)))];
  if (notes.length) lines.push('', ...notes);
  lines.push('', `Prices: ${PRICE_SOURCE.source}, as of ${PRICE_SOURCE.date}; first-tier list prices per GB-month.`);
  return `${lines.join('\n')}\n`;
}

const csvCell = (value: unknown) => {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};
const CSV_COLUMNS = [
  'bucket',
  'region',
  'uploads',
  'parts',
  'bytes',
  'monthlyCostUsd',
  'oldestInitiated',
  'lastPartAt',
  'activeUploads',
  'zeroPartUploads',
  'lifecycleAbortDays',
  'byStorageClass',
  'error',
] as const;

/** one row per bucket; byStorageClass as CLASS=bytes pairs separated by ';' */
export function scanCsv(report: ScanReport): string {
  const rows = report.buckets.map((r) =>
    CSV_COLUMNS.map((c) =>
      csvCell(
        c === 'byStorageClass'
          ? Object.entries(r.byStorageClass)
              .map(([cls, v]) => `${cls}=${v.bytes}`)
              .join(';')
          : r[c],
      ),
    ).join(','),
  );
  return `${[CSV_COLUMNS.join(','), ...rows].join('\n')}\n`;
}

function progressText(p: ScanProgress): string {
  return `scanning: ${p.bucketsDone}/${p.buckets} buckets · ${p.uploadsMeasured}/${p.uploadsListed} uploads measured · ${shortBytes(p.bytes)}`;
}

export async function scanCommand(argv: string[], io: CliIo, s3For: S3ForRegion = s3ForEnvironment(io.env)): Promise<number> {
  const { values } = parse('scan', argv, {
    bucket: { type: 'string', multiple: true },
    prefix: { type: 'string' },
    region: { type: 'string' },
    'older-than': { type: 'string' },
    json: { type: 'boolean' },
    csv: { type: 'boolean' },
  });
  if (values.help) {
    io.stdout.write(`${SCAN_USAGE}\n`);
    return 0;
  }
  const buckets = values.bucket as unknown as string[] | undefined;
  for (const bucket of buckets ?? []) {
    const problem = bucketProblem(bucket);
    if (problem) throw new UsageError(`scan: --bucket ${bucket}: ${problem}`);
  }
  const region = values.region as string | undefined;
  if (region !== undefined && !REGION.test(region)) throw new UsageError(`scan: --region: must be a region name such as us-east-1, got "${region}"`);
  let olderThanSeconds: number | undefined;
  if (values['older-than'] !== undefined) {
    olderThanSeconds = parseAge(values['older-than'] as string);
    if (olderThanSeconds === undefined) throw new UsageError('scan: --older-than: must be a duration such as 30m, 24h or 7d (units s, m, h, d)');
  }
  if (values.json && values.csv) throw new UsageError('scan: --json and --csv: choose one');
  const prefix = values.prefix as string | undefined;
  const display = createProgressDisplay(io.stderr as Output);
  let shownAt = 0;
  const report = await scanAccount(s3For, {
    ...(buckets ? { buckets: [...new Set(buckets)] } : {}),
    ...(prefix ? { prefix } : {}),
    ...(region ? { region } : {}),
    olderThanSeconds,
    defaultRegion: String(clientConfig(io.env).region),
    onProgress: (p) => {
      // a line at most every 250 ms: 5,000 uploads must not mean 5,000 lines in a log
      if (Date.now() - shownAt < 250 && p.bucketsDone < p.buckets) return;
      shownAt = Date.now();
      display.update([progressText(p)]);
    },
  }).catch((error: unknown) => {
    if (error instanceof NoSuchBucketError) throw new UsageError(`scan: ${error.message}`);
    throw error;
  });
  if (values.json) io.stdout.write(`${JSON.stringify({ ...report, prices: PRICE_SOURCE })}\n`);
  else if (values.csv) io.stdout.write(scanCsv(report));
  else io.stdout.write(scanTable(report));
  return 0;
}
