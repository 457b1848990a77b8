/** Starts an HTTP server of the local stack on host:port (0: any free port) and gives its URL. */
import type { Server } from 'node:http';

export async function listen(server: Server, port: number, host: string): Promise<{ url: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as { port: number };
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`, port: bound };
}
