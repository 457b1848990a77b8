import type { AbortRecord } from '../records.ts';

export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]} (${bytes} bytes)`;
}

const ORDER: Array<keyof AbortRecord> = ['id', 'status', 'bucket', 'key', 'uploadId', 'attempts', 'partsFound', 'bytesFound', 'trigger', 'startedAt', 'finishedAt', 'error', 'cause', 'executionArn', 'expiresAt'];

/** aligned "field: value" lines */
export function formatRecord(record: AbortRecord): string {
  const rows = ORDER.filter((f) => record[f] !== undefined && record[f] !== '').map((f) => {
    const value = record[f];
    const shown = f === 'bytesFound' ? humanBytes(Number(value)) : f === 'expiresAt' ? `${new Date(Number(value) * 1000).toISOString()} (${value})` : String(value);
    return [f, shown] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return `${rows.map(([f, v]) => `${`${f}:`.padEnd(width + 2)}${v}`).join('\n')}\n`;
}
