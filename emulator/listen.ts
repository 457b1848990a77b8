/**
 * Starts an HTTP server of the local stack on host:port (0: any free port) and gives its URL, and how to stop it: no
 * new connection, every open one (kept alive or not) cut, resolved once the server has closed.
 */
import type { Server } from 'node:http';

export async function listen(server: Server, port: number, host: string): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as { port: number };
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`, port: bound, close };
}
