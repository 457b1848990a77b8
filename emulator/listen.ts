/**
 * Starts an HTTP server of the local stack on host:port (0: any free port) and gives its URL, and how to stop it: no
 * new connection, every open one (kept alive or not) cut, resolved once the server has closed.
 */
import type { Server } from 'node:http';

/**
 * How long the stack's servers keep an idle connection. Node closes one after 5 s by default, and a client (the AWS
 * SDK keeps connections alive) that sends on it as it closes gets ECONNRESET: seen as 9 aborts of a 2,000-upload sweep
 * failing "S3.SdkClientException: read ECONNRESET", a fault nobody injected. Faults come from the Chaos API only.
 */
export const IDLE_CONNECTION_MS = 10 * 60_000;

export async function listen(server: Server, port: number, host: string): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  server.keepAliveTimeout = IDLE_CONNECTION_MS;
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
