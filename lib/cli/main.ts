/** `npx mpu-reaper …`: dispatches to a command; usage errors → one line + exit 2, failures → one line + exit 1. */
import { readFileSync } from 'node:fs';
import { clients as sharedClients } from '../aws.ts';
import { abortCommand } from './abort.ts';
import { failureLine, jsonFailure } from './errors.ts';
import { UsageError, type CliIo } from './io.ts';
import { localCommand } from './local-deploy.ts';
import { reportCommand } from './report.ts';
import { scanCommand } from './scan.ts';
import { lifecycleCommand } from './lifecycle.ts';
import { stackCommand } from './stack.ts';
import { statusCommand } from './status.ts';
import { sweepCommand, sweepsCommand } from './sweep.ts';

declare const MPU_REAPER_VERSION: string | undefined;

export const USAGE = `Usage: mpu-reaper <command> [options]

Aborts incomplete S3 multipart uploads until ListParts proves them gone, and keeps a record of every run.
Honours AWS_REGION, AWS_PROFILE and AWS_ENDPOINT_URL (set it to drive the local stack of npm start).

Commands:
  abort          start the abort-until-empty workflow for one upload (--wait to follow it)
  status         print an upload's record
  sweep          abort every incomplete upload older than an age in buckets (--dry-run, --wait with live progress)
  sweeps         list past sweeps
  scan           incomplete uploads and their monthly cost per bucket, read-only, nothing deployed
  report         uploads aborted, bytes freed and monthly cost avoided since a time, by bucket, class and day
  lifecycle      show (--apply: write) a bucket lifecycle rule that aborts incomplete uploads after N days
  local deploy   deploy the table and state machines into the local endpoint (AWS_ENDPOINT_URL)
  local seed     create incomplete uploads in a bucket of the local endpoint, to try the commands on
  stack          print the deployed stack's outputs (ApiUrl, TableName, EventBusName, CliPolicyArn, …)

  mpu-reaper <command> --help   shows a command's options
  --version                     prints the version`;

export async function main(argv: string[], io: CliIo): Promise<number> {
  const clients = io.clients ?? (() => sharedClients());
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        io.stderr.write(`${USAGE}\n`);
        return 2;
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(`${USAGE}\n`);
        return 0;
      case '--version': {
        // the packed CLI's bundle has its version built in (tools/pack-cli.ts); in the repository, package.json's
        const version =
          typeof MPU_REAPER_VERSION === 'string'
            ? MPU_REAPER_VERSION
            : (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
        io.stdout.write(`${version}\n`);
        return 0;
      }
      case 'abort':
        return await abortCommand(rest, io, clients);
      case 'status':
        return await statusCommand(rest, io, clients);
      case 'sweep':
        return await sweepCommand(rest, io, clients);
      case 'sweeps':
        return await sweepsCommand(rest, io, clients);
      case 'scan':
        return await scanCommand(rest, io);
      case 'lifecycle':
        return await lifecycleCommand(rest, io);
      case 'report':
        return await reportCommand(rest, io, clients);
      case 'local':
        return await localCommand(rest, io, clients);
      case 'stack':
        return await stackCommand(rest, io, clients);
      default:
        if (command.startsWith('-')) throw new UsageError(`unknown option "${command}" (options before a command: --help, --version)`);
        throw new UsageError(
          `unknown command "${command}" (commands: abort, status, sweep, sweeps, scan, report, lifecycle, stack, local deploy, local seed; see --help)`,
        );
    }
  } catch (error) {
    // --json: the error is a JSON document on stdout, where the command's answer would have been
    if (rest.includes('--json')) io.stdout.write(jsonFailure(error, io.env));
    else if (error instanceof UsageError) io.stderr.write(`mpu-reaper ${error.message}\n`);
    else io.stderr.write(`mpu-reaper: ${failureLine(error, io.env)}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}
