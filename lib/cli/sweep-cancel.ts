/** `mpu-reaper sweep cancel ID`: the same cancel as DELETE /sweeps/{id} (lib/sweep/cancel.ts). */
import { HttpError } from '../http/errors.ts';
import { cancelSweep } from '../sweep/cancel.ts';
import { COMMON_FLAGS, COMMON_OPTIONS, parse } from './args.ts';
import { CliFailure, UsageError, type CliClients, type CliIo } from './io.ts';
import { resolveTarget } from './resolve.ts';

export const SWEEP_CANCEL_USAGE = `Usage: mpu-reaper sweep cancel ID [--json]

Cancels a RUNNING sweep: it starts no new page, its executions are stopped, and it ends CANCELLED with counters rebuilt
from the upload records it wrote (every upload it aborted keeps its record). Exit code: 0 when the cancel was accepted,
1 when the sweep does not exist or has already ended, 2 for bad usage.
${COMMON_FLAGS}`;

export async function sweepCancelCommand(argv: string[], io: CliIo, clients: () => CliClients): Promise<number> {
  const { values, positionals } = parse('sweep cancel', argv, COMMON_OPTIONS, true);
  if (values.help) {
    io.stdout.write(`${SWEEP_CANCEL_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('sweep cancel: ID: give exactly one sweep id (mpu-reaper sweeps lists them)');
  const { tableName } = await resolveTarget(
    { table: true },
    { table: values.table as string | undefined, stack: values.stack as string | undefined },
    io.env,
    clients,
  );
  let sweep: Record<string, unknown>;
  try {
    sweep = await cancelSweep({ sfn: clients().sfn, doc: clients().doc, tableName }, positionals[0]);
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    if (error.statusCode === 400) throw new UsageError(`sweep cancel: ${error.message}`);
    throw new CliFailure(`sweep cancel: ${error.message}`);
  }
  io.stdout.write(
    values.json
      ? `${JSON.stringify({ id: sweep.id, status: sweep.status, cancelledAt: sweep.cancelledAt })}\n`
      : `cancelling sweep ${String(sweep.id)}: it ends CANCELLED once its executions have stopped; follow it with: mpu-reaper sweeps --status CANCELLED\n`,
  );
  return 0;
}
