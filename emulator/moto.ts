/** Starts and stops moto_server, the local S3 and DynamoDB. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MOTO_INSTALL_HINT = 'moto_server was not found on PATH. Install it with: pip install "moto[server]"';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface MotoServer {
  endpoint: string;
  port: number;
  /** wipes every bucket, table and upload */
  reset(): Promise<void>;
  stop(): Promise<void>;
  /** the last 4,000 characters moto_server wrote to stderr: its errors (sitecustomize.py keeps its request log off) */
  stderr(): string;
}

/**
 * moto_server's environment: ours, with glibc's malloc held to 2 arenas unless the caller chose otherwise. moto_server
 * (werkzeug) serves every request on a new thread, and glibc gives threads their own arenas (up to 8 per core, mallopt(3),
 * M_ARENA_MAX): memory freed in one arena is not reused by the others, so RSS keeps what concurrent requests once
 * needed. Measured with a 5,000-upload sweep: moto_server's peak 166 MB → 143 MB. Ignored where malloc is not glibc's.
 */
export function motoEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // python/sitecustomize.py: moto frees what it deletes, and gives freed memory back
  const pythonPath = [MOTO_PYTHON_PATH, ...(env.PYTHONPATH ? [env.PYTHONPATH] : [])].join(delimiter);
  return { ...env, MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? '2', PYTHONPATH: pythonPath };
}

/** the folder of the sitecustomize.py every moto_server of the stack loads */
export const MOTO_PYTHON_PATH = fileURLToPath(new URL('./python', import.meta.url));

export async function startMoto(options: { port?: number; command?: string; timeoutMs?: number } = {}): Promise<MotoServer> {
  const port = options.port ?? (await freePort());
  const command = options.command ?? process.env.MOTO_SERVER ?? 'moto_server';
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env: motoEnv(process.env) });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(new Error(error.code === 'ENOENT' ? MOTO_INSTALL_HINT : `moto_server could not start: ${error.message}`));
    });
    child.once('exit', (code) => reject(new Error(`moto_server exited with code ${code} before it was ready:\n${stderr}`)));
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  };
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const healthy = (async () => {
    for (;;) {
      try {
        const response = await fetch(`${endpoint}/moto-api/`);
        if (response.ok) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`moto_server did not answer on ${endpoint} within ${options.timeoutMs ?? 30_000} ms:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    await Promise.race([healthy, exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  exited.catch(() => undefined);
  return {
    endpoint,
    port,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: ${response.status}`);
    },
    async stop() {
      process.removeListener('exit', onExit);
      await stop();
    },
    stderr: () => stderr,
  };
}
