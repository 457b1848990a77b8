/**
 * A fault-injecting HTTP proxy for tests: sits between the local runtime's dispatcher and moto_server and
 * answers chosen requests itself instead of forwarding them (for example, "lose" an AbortMultipartUpload the
 * way an abort that raced in-flight part uploads can fail to take effect).
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';

export interface FaultRule {
  /** which request: method and a test on the URL */
  method: string;
  url: (url: URL) => boolean;
  /** how many matching requests to intercept (Infinity: all) */
  times: number;
  /** the answer given instead of moto's */
  respond: (res: ServerResponse) => void;
}

export interface FaultProxy {
  endpoint: string;
  /** requests intercepted so far, per rule */
  intercepted: number[];
  close(): Promise<void>;
}

export const answerNoContent = (res: ServerResponse) => { res.writeHead(204).end(); };

export async function startFaultProxy(target: string, rules: FaultRule[]): Promise<FaultProxy> {
  const intercepted = rules.map(() => 0);
  const upstream = new URL(target);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', target);
    const index = rules.findIndex((r, i) => r.method === req.method && r.url(url) && intercepted[i] < r.times);
    if (index >= 0) {
      intercepted[index] += 1;
      req.resume();
      req.on('end', () => rules[index].respond(res));
      return;
    }
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', (error) => { res.writeHead(502).end(String(error)); });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    intercepted,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** matches S3's AbortMultipartUpload: DELETE /bucket/key?uploadId=… */
export const isAbortMultipartUpload = (url: URL) => url.searchParams.has('uploadId');
