import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with its errors as one readable UsageError line naming the flag */
export function parse(command: string, argv: string[], options: Options, positionals = false): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: positionals });
  } catch (error) {
    const message = (error as Error).message.split('\n')[0].replace(/\. To specify a positional argument.*$/, '');
    throw new UsageError(`${command}: ${message}`);
  }
}

export const COMMON_FLAGS = `  --json                      print one JSON document
  --table NAME                the records table (default: from the stack, or the local one with AWS_ENDPOINT_URL)
  --stack NAME                the CloudFormation stack to read outputs from (default s3-mpu-reaper-$MPU_REAPER_STAGE, stage dev)
  -h, --help                  show this help`;
