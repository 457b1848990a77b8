/**
 * What a sweep costs on AWS per million swept uploads: request and transition counts MEASURED on the local stack
 * (per upload and per page), times the published us-east-1 prices. Pages are priced at the size the byte budget gives
 * a typical upload on AWS (keys of ~100 bytes, upload ids of ~150 characters), not at the small pages tests use.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { SWEEP_SETTINGS_DEFAULTS } from '../../lib/settings.ts';
import { pageStateBytes, uploadBytes } from '../../lib/sweep/page.ts';
import { DEFAULT_RUN_SETTINGS, emptyTotals, type TargetState } from '../../lib/sweep/state.ts';

/** us-east-1 list prices (the sources: Step Functions, Lambda, S3 and DynamoDB pricing pages) */
export const PRICES = {
  standardTransition: 0.025 / 1000,
  expressRequest: 1.0 / 1e6,
  /** per GB-second, billed in 64 MB steps of memory and 100 ms steps of duration */
  expressGbSecond: 0.00001667,
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000166667,
  /** LIST-class S3 requests: ListParts, ListMultipartUploads (AbortMultipartUpload, a DELETE, is free) */
  s3List: 0.005 / 1000,
  /** DynamoDB on demand: per write request unit (1 KB; every GSI that holds the item writes too), per read request unit (4 KB) */
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
} as const;

/** What one sweep design spends: per upload, per page, and its page size. */
export interface DesignCounts {
  name: string;
  uploadsPerPage: number;
  perUpload: Partial<Usage>;
  perPage: Partial<Usage>;
}

export interface Usage {
  standardTransitions: number;
  expressRequests: number;
  expressGbSeconds: number;
  lambdaRequests: number;
  lambdaGbSeconds: number;
  s3ListRequests: number;
  dynamoWriteUnits: number;
  /** the ledger's share (lib/ledger.ts): a page's marker and ADD, and what its checkpoint costs more in their transaction */
  dynamoLedgerWriteUnits: number;
  dynamoReadUnits: number;
}

const PRICE_OF: Record<keyof Usage, number> = {
  standardTransitions: PRICES.standardTransition,
  expressRequests: PRICES.expressRequest,
  expressGbSeconds: PRICES.expressGbSecond,
  lambdaRequests: PRICES.lambdaRequest,
  lambdaGbSeconds: PRICES.lambdaGbSecond,
  s3ListRequests: PRICES.s3List,
  dynamoWriteUnits: PRICES.dynamoWriteUnit,
  dynamoLedgerWriteUnits: PRICES.dynamoWriteUnit,
  dynamoReadUnits: PRICES.dynamoReadUnit,
};

export interface Cost {
  name: string;
  total: number;
  lines: Record<keyof Usage, number>;
}

/** dollars per million uploads, by line */
export function costPerMillion(design: DesignCounts): Cost {
  const lines = Object.fromEntries(
    (Object.keys(PRICE_OF) as Array<keyof Usage>).map((line) => {
      const perUpload = (design.perUpload[line] ?? 0) + (design.perPage[line] ?? 0) / design.uploadsPerPage;
      return [line, perUpload * PRICE_OF[line] * 1e6];
    }),
  ) as Record<keyof Usage, number>;
  return { name: design.name, total: Object.values(lines).reduce((a, b) => a + b, 0), lines };
}

/**
 * The durations the model bills (Express and Lambda GB-seconds) are derived from the measured request counts with
 * these AWS latencies, not timed on moto_server (whose DynamoDB alone is several times slower than AWS's).
 */
export const AWS_LATENCY = {
  /** a small S3 request: "median latencies are often in the tens of milliseconds range" (Amazon S3 performance whitepaper, Timeouts and Retries for Latency-Sensitive Applications) */
  s3Seconds: 0.03,
  /** DynamoDB: "single-digit millisecond performance" (DynamoDB Developer Guide, What is Amazon DynamoDB?); 10 ms to be safe */
  dynamodbSeconds: 0.01,
  /** an invocation of a warm Lambda besides its code: an assumption */
  lambdaOverheadSeconds: 0.02,
  /**
   * a ListMultipartUploads that answers 1,000 uploads (~400 KB of XML, parsed by the SDK): an ASSUMPTION, not measured on
   * AWS (moto answers from memory). The time model shows what 2.5× as slow would do.
   */
  listUploadsSeconds: 0.2,
} as const;

/**
 * The walk of "Split targets into lanes" (lib/sweep/lanes.ts), per upload: one ListMultipartUploads per 1,000 uploads
 * (MaxUploads 1000), and its Lambda's seconds (256 MB) waiting on it. Its one invocation per target is per sweep, not
 * per upload: left out like the plan and the finish.
 */
export const WALK_PER_UPLOAD: Partial<Usage> = { s3ListRequests: 1 / 1000, lambdaGbSeconds: (AWS_LATENCY.listUploadsSeconds / 1000) * 0.25 };
/** requests in flight at once: the page's Maps (MaxConcurrency 40), the measure's and the records' pools in the Lambdas */
export const CONCURRENCY = { map: 40, lambdaS3: 16, lambdaDynamodb: 25 } as const;

/** the design before the sweep pages: one Standard abort-upload execution per upload (counts measured on that design) */
export const OLD_DESIGN: DesignCounts = {
  name: 'old: an abort-upload execution per upload',
  uploadsPerPage: 250,
  // 30 transitions, 2 ListParts, 4 UpdateItems (each also written to the 2 GSIs: 3 WRU)
  perUpload: { standardTransitions: 30, s3ListRequests: 2, dynamoWriteUnits: 4 * 3 },
  perPage: {},
};

/** DynamoDB's item size: attribute names and values in UTF-8, numbers ~1 byte per 2 digits + 1, maps and lists 3 + 1 per element */
export function itemBytes(item: Record<string, AttributeValue>): number {
  const value = (v: AttributeValue): number => {
    if (v.S !== undefined) return Buffer.byteLength(v.S, 'utf8');
    if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|e.*$/gi, '').replace(/^0+/, '').length / 2) + 1;
    if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
    if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((sum, [name, inner]) => sum + Buffer.byteLength(name) + value(inner) + 1, 0);
    if (v.L !== undefined) return 3 + v.L.reduce((sum, inner) => sum + value(inner) + 1, 0);
    return Buffer.byteLength(JSON.stringify(v));
  };
  return Object.entries(item).reduce((sum, [name, v]) => sum + Buffer.byteLength(name, 'utf8') + value(v), 0);
}

/** GSIs of the records table (lib/records.ts recordsTableDefinition) by their key attributes */
export const RECORD_INDEX_KEYS = [
  ['listKey', 'startedAt'],
  ['statusKey', 'startedAt'],
] as const;

/** write units of a PutItem: 1 per KB for the table, and as much again for every index whose keys the item has */
export function writeUnits(item: Record<string, AttributeValue>): number {
  const units = Math.ceil(itemBytes(item) / 1024);
  return units * (1 + RECORD_INDEX_KEYS.filter((keys) => keys.every((k) => item[k] !== undefined)).length);
}

/**
 * write units of one item of a TransactWriteItems: DynamoDB charges a transaction's item 2 per KB in the table ("two
 * underlying writes", DynamoDB Developer Guide, transactions: capacity management); each index that holds it, 1 per KB.
 * An Update is sized by its key and the values it sets and adds (the ledger's item holds no more).
 */
export function transactItemUnits(entry: { Put?: { Item?: Record<string, AttributeValue> }; Update?: UpdateEntry }): number {
  const item = entry.Put?.Item ?? (entry.Update ? updatedItem(entry.Update) : {});
  const units = Math.ceil(itemBytes(item) / 1024);
  return units * (2 + RECORD_INDEX_KEYS.filter((keys) => keys.every((k) => item[k] !== undefined)).length);
}

interface UpdateEntry {
  Key?: Record<string, AttributeValue>;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}
const updatedItem = (u: UpdateEntry): Record<string, AttributeValue> => ({
  ...u.Key,
  ...Object.fromEntries(
    Object.entries(u.ExpressionAttributeNames ?? {}).flatMap(([ref, name]) => {
      const value = u.ExpressionAttributeValues?.[`:${ref.slice(1)}`];
      return value ? [[name, value]] : [];
    }),
  ),
});

/**
 * The uploads a page holds on AWS for an upload of this shape: the byte budget (SweepPageBytes) against the exact JSON
 * of the upload, ListMultipartUploads' 1,000 a call (SweepPageSize) at most.
 */
export function uploadsPerPage(shape: { keyBytes: number; uploadIdChars: number; measure: boolean; prefixBytes?: number; escape?: number }): number {
  const escaping = shape.escape ?? 1;
  const key = 'k'.repeat(Math.ceil(shape.keyBytes * escaping));
  const uploadId = 'U'.repeat(shape.uploadIdChars);
  const state = {
    sweep: {
      id: 'sweep-20261122T211340Z-3f9a1c',
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:s3-mpu-reaper-prod-sweep-uploads:${'x'.repeat(29)}`,
      startedAt: '2026-11-22T21:13:40.000Z',
      dryRun: false,
      measure: shape.measure,
      settings: { ...DEFAULT_RUN_SETTINGS },
    },
    target: {
      index: 19,
      bucket: 'b'.repeat(63),
      prefix: 'p'.repeat(Math.ceil((shape.prefixBytes ?? 64) * escaping)),
      olderThan: '1d',
      olderThanSeconds: 86_400,
      cutoff: '2026-11-21T21:13:40.000Z',
      expectedBucketOwner: '123456789012',
      maxUploads: 1_000_000,
    },
    cursor: { keyMarker: key, uploadIdMarker: uploadId },
    done: false,
    truncated: false,
    totals: emptyTotals(),
    seq: 99_999,
    slice: {
      execution: `arn:aws:states:us-east-1:123456789012:execution:s3-mpu-reaper-prod-sweep-target:${'x'.repeat(36)}`,
      run: 'x'.repeat(160),
      events: 19_999,
      full: false,
    },
    handovers: [],
    recoveries: 0,
  } as unknown as TargetState;
  const page = { listedAt: state.sweep.startedAt, waitSeconds: 5, listed: 1000, busy: 1000, cursor: state.cursor, last: false, truncated: false };
  const budget = SWEEP_SETTINGS_DEFAULTS.SweepPageBytes - pageStateBytes(state, page);
  return Math.max(1, Math.min(SWEEP_SETTINGS_DEFAULTS.SweepPageSize, Math.floor(budget / uploadBytes(key, uploadId, shape.measure))));
}

/** keys of ~100 bytes, upload ids of ~150 characters (AWS's are base64-like strings of that order) */
export const TYPICAL_UPLOAD = { keyBytes: 100, uploadIdChars: 150 } as const;
/** the worst: 1,024-byte keys whose every byte JSON escapes as \u00XX (6 bytes), upload ids of 1,024 characters that escape to 2 */
export const WORST_UPLOAD = { keyBytes: 1024, escape: 6, uploadIdChars: 2048, prefixBytes: 1024 } as const;

export function formatCostTable(costs: Cost[]): string {
  const lines = Object.keys(costs[0].lines) as Array<keyof Usage>;
  const header = ['$ per million uploads', ...costs.map((c) => c.name)];
  const rows = [...lines.map((line) => [line, ...costs.map((c) => c.lines[line].toFixed(3))]), ['total', ...costs.map((c) => c.total.toFixed(2))]];
  const widths = header.map((_, i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [row(header), row(widths.map((w) => '-'.repeat(w))), ...rows.map(row)].join('\n');
}

/** the sweep Lambdas' memory (serverless.yml provider.memorySize), in GB */
const LAMBDA_GB = 0.25;

/**
 * What the activity guard adds per upload. A measured sweep: nothing (the guard reads the measure's ListParts). A sweep
 * without the measure: the guard's own ListParts per upload (a LIST request: $5.00 per million uploads, more pages for
 * an upload of more than 1,000 parts) and the list Lambda's wait on it (16 at once, ~30 ms each on AWS); its pages
 * keep their size (no parts or bytes are kept). `--no-measure --no-activity-guard` is the sweep without any ListParts
 * before the abort.
 */
export function activityGuardPerUpload(measure: boolean): Partial<Usage> {
  if (measure) return {};
  return { s3ListRequests: 1, lambdaGbSeconds: (AWS_LATENCY.s3Seconds / CONCURRENCY.lambdaS3) * LAMBDA_GB };
}

/** a design with the activity guard's requests added */
export function withActivityGuard(design: DesignCounts, measure: boolean): DesignCounts {
  const added = activityGuardPerUpload(measure);
  const perUpload = { ...design.perUpload };
  for (const [line, value] of Object.entries(added) as Array<[keyof Usage, number]>) perUpload[line] = (perUpload[line] ?? 0) + value;
  return { ...design, name: `${design.name}, activity guard`, perUpload };
}
