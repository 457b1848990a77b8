import { parseArgs, type ParseArgsConfig } from 'node:util';
import { wholeNumber } from '../validation.ts';
import { UsageError } from './io.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs, strict, with its errors as one readable UsageError line naming the flag. A flag that takes a
 * value and is given twice is refused too (parseArgs would silently keep the last one: perhaps the wrong upload).
 */
export function parse(
  command: string,
  argv: string[],
  options: Options,
  positionals = false,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const all: Options = { ...options, help: { type: 'boolean', short: 'h' } };
  const parsed = (() => {
    try {
      return parseArgs({ args: argv, options: all, strict: true, allowPositionals: positionals, tokens: true });
    } catch (error) {
      const message = (error as Error).message.replace(/\.? To specify a positional argument[\s\S]*$/, '').replace(/\s*\n\s*/g, ' ');
      throw new UsageError(`${command}: ${message}`);
    }
  })();
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option' || all[token.name]?.type !== 'string' || all[token.name]?.multiple) continue;
    if (seen.has(token.name)) throw new UsageError(`${command}: --${token.name}: is given more than once`);
    seen.add(token.name);
  }
  return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
}

/** a flag's value as a whole number in decimal digits (validation's wholeNumber), or a UsageError naming the flag */
export function numberFlag(command: string, flag: string, text: string, min: number, max: number): number {
  const parsed = wholeNumber(text, min, max);
  if ('rule' in parsed) throw new UsageError(`${command}: ${flag}: ${parsed.rule}`);
  return parsed.value;
}

/** the options every command that reads the records takes (COMMON_FLAGS describes them) */
export const COMMON_OPTIONS: Options = { json: { type: 'boolean' }, table: { type: 'string' }, stack: { type: 'string' } };
/** the options of the commands that start an execution and may follow it */
export const START_OPTIONS: Options = { ...COMMON_OPTIONS, wait: { type: 'boolean' }, 'state-machine-arn': { type: 'string' } };

export const COMMON_FLAGS = `  --json                      print one JSON document
  --table NAME                the records table (default: from the stack, or the local one with AWS_ENDPOINT_URL)
  --stack NAME                the CloudFormation stack to read outputs from (default s3-mpu-reaper-$MPU_REAPER_STAGE, stage dev)
  -h, --help                  show this help`;
