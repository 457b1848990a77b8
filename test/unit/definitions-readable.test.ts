/**
 * The definitions stay readable by a person: short lines, and no field that nests more intrinsic functions
 * than a reader follows at a glance (AWS allows 10; these stay at 2). Exact arithmetic lives in TypeScript instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STATEMACHINES_DIR } from '../../lib/settings.ts';

const FILES = readdirSync(STATEMACHINES_DIR).filter((f) => f.endsWith('.asl.json'));

/** every string field whose name ends in .$ (a path or an intrinsic function), with where it stands */
function pathFields(value: unknown, at = '$'): Array<{ at: string; text: string }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => pathFields(v, `${at}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => (k.endsWith('.$') && typeof v === 'string' ? [{ at: `${at}.${k}`, text: v }] : pathFields(v, `${at}.${k}`)));
}

describe.each(FILES)('statemachines/%s', (file) => {
  const text = readFileSync(STATEMACHINES_DIR + file, 'utf8');

  it('has no line over 200 characters', () => {
    const long = text
      .split('\n')
      .map((line, i) => ({ line: i + 1, length: line.length }))
      .filter((l) => l.length > 200);
    expect(long).toEqual([]);
  });

  it('nests at most 2 intrinsic functions in any field', () => {
    const deep = pathFields(JSON.parse(text))
      .map((f) => ({ ...f, calls: (f.text.match(/States\.[A-Za-z]+\(/g) ?? []).length }))
      .filter((f) => f.calls > 2);
    expect(deep).toEqual([]);
  });
});
