import type { AbortRecord, HistoryEntry } from '../records.ts';

export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]} (${bytes} bytes)`;
}

/** bytes in human units only: 1.2 GiB */
export const shortBytes = (bytes: number): string => humanBytes(bytes).replace(/ \(.*\)$/, '');

/**
 * A plain-text table: columns two spaces apart, each as wide as its widest cell, missing values blank, no trailing
 * spaces. With `header`, a first line of column names and (unless `rule: false`) a line of dashes under it.
 */
export function formatTable(header: readonly string[] | undefined, rows: ReadonlyArray<ReadonlyArray<unknown>>, options: { rule?: boolean } = {}): string {
  const count = Math.max(header?.length ?? 0, ...rows.map((r) => r.length));
  const cells = rows.map((row) => Array.from({ length: count }, (_, i) => (row[i] === undefined || row[i] === null ? '' : String(row[i]))));
  const widths = Array.from({ length: count }, (_, i) => Math.max(header?.[i]?.length ?? 0, ...cells.map((r) => r[i].length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const head = header ? [line(header), ...(options.rule === false ? [] : [line(widths.map((w) => '-'.repeat(w)))])] : [];
  return [...head, ...cells.map(line)].join('\n');
}

/** aligned "field: value" lines, in the given order; undefined and empty values are left out */
export function formatFields(fields: Record<string, unknown>): string {
  const rows = Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([f, v]) => [f, String(v)] as const);
  if (rows.length === 0) return '';
  const width = Math.max(...rows.map(([f]) => f.length));
  return `${rows.map(([f, v]) => `${`${f}:`.padEnd(width + 2)}${v}`).join('\n')}\n`;
}

const ORDER = [
  'id',
  'status',
  'bucket',
  'key',
  'uploadId',
  'attempts',
  'partsFound',
  'bytesFound',
  'trigger',
  'sweepId',
  'dryRun',
  'startedAt',
  'finishedAt',
  'error',
  'cause',
  'executionArn',
  'expiresAt',
] as const;

/** a record as aligned "field: value" lines: bytes in human units, expiresAt as a date too */
export function formatRecord(record: AbortRecord): string {
  const item = record as unknown as Record<string, unknown>;
  return `${formatFields(
    Object.fromEntries(
      ORDER.map((f) => {
        const value = item[f];
        if (value === undefined) return [f, undefined];
        if (f === 'bytesFound') return [f, humanBytes(Number(value))];
        if (f === 'expiresAt') return [f, `${new Date(Number(value) * 1000).toISOString()} (${value})`];
        if (f === 'dryRun') return [f, value === true ? 'yes' : undefined];
        return [f, value];
      }),
    ),
  )}${formatHistory(record.history ?? [])}`;
}

/** the earlier outcomes a record keeps, oldest first, one line each */
function formatHistory(history: readonly HistoryEntry[]): string {
  if (history.length === 0) return '';
  const line = (h: HistoryEntry) =>
    [
      h.status,
      h.partsFound !== undefined ? `${h.partsFound} parts, ${shortBytes(h.bytesFound ?? 0)}` : undefined,
      h.trigger ? `by ${h.trigger}${h.dryRun ? ' (dry run)' : ''}` : undefined,
      h.finishedAt,
      h.cause,
    ]
      .filter((part) => part !== undefined && part !== '')
      .join(' · ');
  return `history (earlier runs, oldest first):\n${history.map((h) => `  ${line(h)}\n`).join('')}`;
}
