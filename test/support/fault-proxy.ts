/**
 * A fault-injecting HTTP proxy for tests: sits between AWS SDK clients (the local runtime's dispatcher, the Lambda
 * functions' clients) and moto_server. A rule either answers a chosen request itself instead of forwarding it (for
 * example, "lose" an AbortMultipartUpload the way an abort that raced in-flight part uploads can fail to take effect,
 * or reset the connection), or forwards it and then replaces moto's answer (`after`: the request was applied, the
 * answer is lost or rewritten). Every request that reaches the proxy is kept in `requests`.
 *
 * Why not the Chaos API (emulator/chaos.ts): its rules match {service, operation, region} only; these tests also
 * match on parameters and body, rewrite moto's answers (part sizes, Initiated), act between a request and its answer,
 * answer calls moto lacks (CreateSession), keep every request, and serialise DynamoDB writes (moto's are not atomic).
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from '../../emulator/listen.ts';

/** moto's answer to a forwarded request */
export interface UpstreamAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface SeenRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FaultRule {
  /** which request: method and a test on the URL (and, optionally, on headers and body) */
  method: string;
  url: (url: URL) => boolean;
  request?: (seen: SeenRequest) => boolean;
  /** how many matching requests to intercept (Infinity: all) */
  times: number;
  /** the answer given instead of moto's (the request is not forwarded) */
  respond?: (res: ServerResponse) => void;
  /** the request is forwarded; this answers instead of moto's answer (moto applied the request) */
  after?: (res: ServerResponse, answer: UpstreamAnswer) => void;
}

export interface FaultProxy {
  endpoint: string;
  /** requests intercepted so far, per rule */
  intercepted: number[];
  /** every request the proxy received, in order */
  requests: SeenRequest[];
  close(): Promise<void>;
}

export const answerNoContent = (res: ServerResponse) => {
  res.writeHead(204).end();
};
/** the connection is reset before any answer (the client sees ECONNRESET / socket hang up) */
export const resetConnection = (res: ServerResponse) => {
  res.socket?.destroy();
};

/** moto's answer, unchanged */
export const passThrough = (res: ServerResponse, answer: UpstreamAnswer) => {
  const { 'content-length': _length, 'transfer-encoding': _encoding, ...headers } = answer.headers;
  res.writeHead(answer.status, { ...headers, 'content-length': answer.body.length }).end(answer.body);
};

async function readBody(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * DynamoDB's writes, one at a time: a conditional write is atomic on AWS ("condition expressions … are evaluated
 * atomically", DynamoDB Developer Guide, Condition expressions), moto_server checks and writes in threads without a lock.
 */
const DYNAMODB_WRITE = /^DynamoDB_20120810\.(PutItem|UpdateItem|DeleteItem)$/;

export async function startFaultProxy(target: string, rules: FaultRule[]): Promise<FaultProxy> {
  const intercepted = rules.map(() => 0);
  const requests: SeenRequest[] = [];
  const upstream = new URL(target);
  let writes: Promise<unknown> = Promise.resolve();
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    if (DYNAMODB_WRITE.test(String(req.headers['x-amz-target'] ?? ''))) {
      const turn = writes.then(() => new Promise<void>((done) => res.once('close', done)));
      const before = writes;
      writes = turn;
      await before;
    }
    const body = await readBody(req);
    const seen: SeenRequest = { method: req.method ?? 'GET', url: new URL(req.url ?? '/', target), headers: req.headers, body: body.toString('utf8') };
    requests.push(seen);
    const index = rules.findIndex((r, i) => r.method === seen.method && r.url(seen.url) && (r.request?.(seen) ?? true) && intercepted[i] < r.times);
    const rule = index >= 0 ? rules[index] : undefined;
    if (index >= 0) intercepted[index] += 1;
    if (rule?.respond) {
      rule.respond(res);
      return;
    }
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      async (answer) => {
        const answered: UpstreamAnswer = { status: answer.statusCode ?? 502, headers: answer.headers, body: await readBody(answer) };
        (rule?.after ?? passThrough)(res, answered);
      },
    );
    forward.on('error', (error) => {
      res.writeHead(502).end(String(error));
    });
    forward.end(body);
  });
  const { url, close } = await listen(server, 0, '127.0.0.1');
  return { endpoint: url, intercepted, requests, close };
}

/** matches S3's AbortMultipartUpload: DELETE /bucket/key?uploadId=… */
export const isAbortMultipartUpload = (url: URL) => url.searchParams.has('uploadId');
