/**
 * Ctrl-C while --wait follows a run: the run goes on in the cloud, only the waiting stops. The command prints one line
 * naming the run and the commands to follow or stop it, and exits 130 (128 + SIGINT, as shells report it).
 */
import type { CliIo } from './io.ts';

export const INTERRUPTED_EXIT = 130;

export class Interrupted extends Error {
  override name = 'Interrupted';
}

export interface InterruptWatch {
  /** p, unless Ctrl-C comes first: then it rejects with Interrupted */
  race<T>(p: Promise<T>): Promise<T>;
  /** stops listening (the process's default Ctrl-C comes back) */
  stop(): void;
}

export function watchInterrupt(io: Pick<CliIo, 'signals'>): InterruptWatch {
  const signals = io.signals ?? process;
  let heard = false;
  let fire: () => void = () => undefined;
  const interrupted = new Promise<never>((_, reject) => {
    fire = () => reject(new Interrupted('SIGINT'));
  });
  interrupted.catch(() => undefined);
  const onSigint = () => {
    heard = true;
    fire();
  };
  signals.on('SIGINT', onSigint);
  return {
    race: <T>(p: Promise<T>) => (heard ? Promise.reject(new Interrupted('SIGINT')) : Promise.race([p, interrupted])),
    stop: () => signals.off('SIGINT', onSigint),
  };
}

/**
 * The one line printed on Ctrl-C, to stderr (stdout stays the command's own output, one JSON document with --json);
 * on a terminal after a line break, as the terminal echoed ^C where the cursor was. Returns the exit code.
 */
export function reportInterrupted(io: Pick<CliIo, 'stderr'>, what: string, follow: string, stop: string): number {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  io.stderr.write(`${tty ? '\n' : ''}interrupted: ${what} keeps running; follow it with: ${follow}; stop it with: ${stop}\n`);
  return INTERRUPTED_EXIT;
}
