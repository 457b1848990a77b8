/**
 * Fault injection for the local stack, with LocalStack's Chaos API: fault rules at /_localstack/chaos/faults, network
 * effects at /_localstack/chaos/effects. Every request of the local endpoint AND every S3/DynamoDB request of the
 * runtime's Tasks passes through serveWithChaos: it names the AWS operation, adds the configured latency, and when a
 * fault rule matches, answers the rule's error in the service's own wire format (or resets the connection, or
 * answers success without doing anything) instead of the service's answer.
 *
 * Project extensions of a rule: `reset` (destroy the connection), `after` (let the service apply the request, then
 * lose its answer), `drop` (answer success, forward nothing), `times` (inject at most n times), `seed` (repeatable
 * probabilities; POST /_localstack/chaos/config {seed} seeds every rule without its own).
 */
import { randomUUID } from 'node:crypto';
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { S3_ERROR_MESSAGES } from 's3-mpu-reaper/lib/task-errors.ts';
import { ChaosApiError, ChaosController, validateSeedConfig, type ChaosOptions, type FaultError, type FaultRule, type NetworkEffects } from './fault-rules.ts';
import { LISTING_PAGE_HEADER, listingPageHint, pageListing, pagesListing, xmlEscape } from './list-uploads-paging.ts';
import { UploadFacts, uploadRequest } from './upload-facts.ts';
import { listen } from './listen.ts';
import { isTransactWrite, sharingTransactions, transactWriteItems } from './transactions.ts';
import {
  AWS_JSON_1_0,
  AWS_JSON_ERROR_NAMESPACES,
  awsJsonErrorBody,
  forwardedRequestHeaders,
  forwardedResponseHeaders,
  header,
  identifyRequest,
  isDynamoDbRequest,
  type RequestIdentity,
} from './wire.ts';

// ---------------------------------------------------------------------------------------------------------------
// Answering in each service's wire format
// ---------------------------------------------------------------------------------------------------------------

export interface WireAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** An error as the service sends it: S3's XML <Error> document, or the AWS JSON `__type` body. */
export function serviceErrorAnswer(service: string, error: FaultError, requestId: string = randomUUID(), jsonContentType = AWS_JSON_1_0): WireAnswer {
  // S3's documented message where there is one: AWS's task error causes carry the message, not the code
  const message = error.message ?? (service === 's3' ? S3_ERROR_MESSAGES[error.code] : undefined) ?? `${error.code}: injected by the local stack's Chaos API`;
  if (service === 's3') {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>${xmlEscape(error.code)}</Code><Message>${xmlEscape(message)}</Message>` +
      `<RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`;
    return { status: error.statusCode, headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId, 'x-amz-id-2': requestId }, body };
  }
  return {
    status: error.statusCode,
    headers: { 'content-type': jsonContentType, 'x-amzn-requestid': requestId },
    body: awsJsonErrorBody(error.code, message, AWS_JSON_ERROR_NAMESPACES[service]),
  };
}

/** What a dropped request is answered: the operation's empty success (S3 DELETE: 204). */
export function droppedAnswer(request: RequestIdentity & { method?: string }, jsonContentType = AWS_JSON_1_0): WireAnswer {
  const requestId = randomUUID();
  if (request.service === 's3') return { status: request.method === 'DELETE' ? 204 : 200, headers: { 'x-amz-request-id': requestId }, body: '' };
  return { status: 200, headers: { 'content-type': jsonContentType, 'x-amzn-requestid': requestId }, body: '{}' };
}

export function writeAnswer(res: ServerResponse, answer: WireAnswer): void {
  res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) }).end(answer.body);
}

/** the AWS JSON version a request spoke (1.0 or 1.1), for the content type of its answer */
export function requestJsonContentType(req: { headers: IncomingHttpHeaders }): string {
  const type = header(req.headers, 'content-type');
  return type && /^application\/x-amz-json-1\.[01]\b/.test(type) ? type.split(';')[0] : AWS_JSON_1_0;
}

/** reads and discards a request body (so that the client is not cut off while still sending) */
function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    req
      .on('end', resolve)
      .on('error', () => resolve())
      .on('close', resolve);
    req.resume();
  });
}

/** a TCP reset, as a connection dropped mid-request looks to the client (ECONNRESET) */
function resetConnection(req: IncomingMessage): void {
  const socket = req.socket;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

// ---------------------------------------------------------------------------------------------------------------
// The layer: serveWithChaos over an upstream
// ---------------------------------------------------------------------------------------------------------------

/** Whatever really answers a request: moto_server behind the proxy, or the endpoint's own Step Functions. */
export interface Upstream {
  /** answers the request as the service does, into res */
  answer(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
  /** sends the request to the service and resolves once it has been applied; the answer is thrown away */
  apply(req: IncomingMessage): Promise<void>;
}

/** Applies the network effects and the first fault rule that takes this request, else lets the upstream answer. */
export async function serveWithChaos(chaos: ChaosController, req: IncomingMessage, res: ServerResponse, upstream: Upstream): Promise<void> {
  const { latency } = chaos.effects();
  if (latency) await new Promise((resolve) => setTimeout(resolve, latency));
  const identity = identifyRequest(req);
  const action = chaos.decide(identity);
  if (!action) {
    await upstream.answer(req, res);
    return;
  }
  if (action.kind === 'drop') {
    await drain(req);
    writeAnswer(res, droppedAnswer({ ...identity, method: req.method }, requestJsonContentType(req)));
    return;
  }
  if (action.after) await upstream.apply(req).catch(() => undefined);
  else await drain(req);
  if (action.kind === 'reset') resetConnection(req);
  else writeAnswer(res, serviceErrorAnswer(identity.service, action.error, randomUUID(), requestJsonContentType(req)));
}

/** moto's whole answer, read and passed on rewritten: a listing as the page S3 would send with each upload's facts (emulator/upload-facts.ts) */
async function rewrittenAnswer(answer: IncomingMessage, res: ServerResponse, rewrite: (body: string) => string): Promise<void> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of answer) chunks.push(chunk as Buffer);
  } catch {
    res.destroy();
    return;
  }
  const body = rewrite(Buffer.concat(chunks).toString('utf8'));
  const { 'transfer-encoding': _chunked, ...headers } = forwardedResponseHeaders(answer.headers);
  res.writeHead(answer.statusCode ?? 200, answer.statusMessage, { ...headers, 'content-length': String(Buffer.byteLength(body)) }).end(body);
}

/** how moto's 200/204 answer to a multipart request is observed or rewritten; undefined: streamed as it is */
function factsRewrite(facts: UploadFacts, req: IncomingMessage, url: URL, status: number | undefined): ((body: string) => string) | undefined {
  const request = uploadRequest(req.method, url);
  if (!request) return undefined;
  if (request.kind === 'abort') {
    if (status === 204) facts.aborted(request.bucket, request.key, request.uploadId);
    return undefined;
  }
  if (status !== 200) return undefined;
  switch (request.kind) {
    case 'create': {
      const storageClass = header(req.headers, 'x-amz-storage-class');
      return (body) => {
        facts.created(request.bucket, request.key, storageClass, body);
        return body;
      };
    }
    case 'parts':
      return (body) => facts.parts(request.bucket, request.key, request.uploadId, body);
    case 'list':
      return (body) => facts.listing(request.bucket, (pagesListing(req.method, url) ? pageListing(body, url) : undefined) ?? body);
  }
}

/** An upstream that forwards requests byte for byte to an HTTP server (moto_server) and streams its answers back. */
export function proxyUpstream(target: string, facts: UploadFacts = new UploadFacts()): Upstream & { close(): void } {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const send = (req: IncomingMessage, url: URL, onAnswer: (answer: IncomingMessage) => void, onError: (error: Error) => void) => {
    const page = listingPageHint(req.method, url);
    const headers = forwardedRequestHeaders(req.headers, upstream.host);
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        agent,
        headers: page === undefined ? headers : { ...headers, [LISTING_PAGE_HEADER]: page },
      },
      onAnswer,
    );
    forwarded.on('error', onError);
    req.pipe(forwarded);
    return forwarded;
  };
  return {
    answer(req, res) {
      const url = new URL(req.url ?? '/', 'http://local');
      const forwarded = send(
        req,
        url,
        (answer) => {
          answer.on('error', () => res.destroy());
          const rewrite = factsRewrite(facts, req, url, answer.statusCode);
          if (rewrite) {
            void rewrittenAnswer(answer, res, rewrite);
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardedResponseHeaders(answer.headers));
          answer.pipe(res);
        },
        (error) => {
          if (res.headersSent) {
            res.destroy(error);
            return;
          }
          const message = `the local stack could not reach ${target}: ${error.message}`;
          res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' }).end(message);
        },
      );
      // the client went away before its request or our answer was complete
      res.on('close', () => {
        if (!res.writableFinished) forwarded.destroy();
      });
    },
    apply(req) {
      const url = new URL(req.url ?? '/', 'http://local');
      return new Promise<void>((resolve, reject) => {
        send(
          req,
          url,
          (answer) => {
            // an answer the fault loses still created or aborted an upload
            const rewrite = factsRewrite(facts, req, url, answer.statusCode);
            const chunks: Buffer[] = [];
            answer
              .on('data', (chunk: Buffer) => rewrite && chunks.push(chunk))
              .on('end', () => {
                rewrite?.(Buffer.concat(chunks).toString('utf8'));
                resolve();
              })
              .on('error', reject);
          },
          reject,
        );
      });
    },
    close: () => agent.destroy(),
  };
}

/** moto_server's reset (POST /moto-api/reset) wipes one moto_server: the stack sends it to each of its own */
const isMotoReset = (req: IncomingMessage) =>
  req.method === 'POST' && new URL(req.url ?? '/', 'http://local').pathname.replace(/\/$/, '') === '/moto-api/reset';

/**
 * moto_server as the stack runs it: DynamoDB requests to `dynamodb`, everything else to `s3` (separate processes, as S3
 * and DynamoDB are separate services on AWS: a record write takes no CPU from an S3 call); moto's reset to both.
 * Without `dynamodb` (or the same URL) one moto_server serves both.
 */
export function motoUpstream(targets: { s3: string; dynamodb?: string }, facts: UploadFacts = new UploadFacts()): Upstream & { close(): void } {
  const s3 = proxyUpstream(targets.s3, facts);
  const dynamodbUrl = targets.dynamodb && targets.dynamodb !== targets.s3 ? targets.dynamodb : undefined;
  const dynamodbProxy = dynamodbUrl ? proxyUpstream(dynamodbUrl, facts) : s3;
  // the endpoint serves TransactWriteItems itself, each alone, and every other DynamoDB request waits for it
  const transactions = transactWriteItems(dynamodbUrl ?? targets.s3);
  const dynamodb = sharingTransactions(dynamodbProxy, dynamodbUrl ?? targets.s3);
  const pick = async (req: IncomingMessage) => {
    if (dynamodbUrl && isMotoReset(req)) {
      const reset = await fetch(`${dynamodbUrl}/moto-api/reset`, { method: 'POST' });
      if (!reset.ok) throw new Error(`the DynamoDB moto_server's reset answered ${reset.status}`);
    }
    if (isTransactWrite(req)) return transactions;
    return isDynamoDbRequest(req) ? dynamodb : s3;
  };
  return {
    answer: async (req, res) => (await pick(req)).answer(req, res),
    apply: async (req) => (await pick(req)).apply(req),
    close() {
      s3.close();
      if (dynamodbProxy !== s3) dynamodbProxy.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The HTTP Chaos API
// ---------------------------------------------------------------------------------------------------------------

export const CHAOS_API_PATH = '/_localstack/chaos';

export const isChaosApiRequest = (url: string | undefined): boolean => url === CHAOS_API_PATH || (url ?? '').startsWith(`${CHAOS_API_PATH}/`);

async function readJsonBody(req: IncomingMessage, limit = 1024 * 1024): Promise<unknown> {
  // a browser may send text/plain cross-site without a preflight: only JSON bodies may change the rules
  const type = header(req.headers, 'content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new ChaosApiError(415, `content-type must be application/json, got ${type || 'none'}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ChaosApiError(413, `the body must be at most ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ChaosApiError(400, 'the body is not valid JSON');
  }
}

/** The routes of the Chaos API: "METHOD resource" → handler of the parsed JSON body (the controller validates it). */
const CHAOS_ROUTES: Record<string, (chaos: ChaosController, body: unknown) => unknown> = {
  'GET faults': (chaos) => chaos.faults(),
  'POST faults': (chaos, body) => chaos.setFaults(body as FaultRule[]),
  'PATCH faults': (chaos, body) => chaos.addFaults(body as FaultRule[]),
  'DELETE faults': (chaos, body) => chaos.removeFaults(body as FaultRule[]),
  'GET effects': (chaos) => chaos.effects(),
  'POST effects': (chaos, body) => chaos.setEffects(body as NetworkEffects),
  'GET config': (chaos) => ({ seed: chaos.seed ?? null }),
  'POST config': (chaos, body) => {
    chaos.setSeed(validateSeedConfig(body));
    return { seed: chaos.seed ?? null };
  },
  'GET counts': (chaos) => chaos.counts(),
};

/** Serves /_localstack/chaos/{faults,effects,config,counts}; answers JSON, errors as {"error", "message"}. */
export async function handleChaosApi(chaos: ChaosController, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const resource = new URL(req.url ?? '/', 'http://local').pathname.slice(CHAOS_API_PATH.length).replace(/^\/|\/$/g, '');
  const method = req.method ?? 'GET';
  let status = 200;
  let body: unknown;
  try {
    const route = CHAOS_ROUTES[`${method} ${resource}`];
    if (!route) {
      const known = Object.keys(CHAOS_ROUTES).some((r) => r.endsWith(` ${resource}`));
      throw new ChaosApiError(known ? 405 : 404, known ? `${method} is not allowed on ${CHAOS_API_PATH}/${resource}` : `no Chaos API resource ${resource}`);
    }
    body = route(chaos, method === 'GET' ? undefined : await readJsonBody(req));
  } catch (error) {
    status = error instanceof ChaosApiError ? error.status : 500;
    body = { error: status === 500 ? 'InternalError' : 'ChaosApiError', message: (error as Error).message };
    await drain(req);
  }
  writeAnswer(res, { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

// ---------------------------------------------------------------------------------------------------------------
// A stand-alone chaos proxy (what the runtime's Tasks talk to)
// ---------------------------------------------------------------------------------------------------------------

export interface ChaosProxy {
  /** the proxy's URL: give it to SDK clients (and the TaskDispatcher) as their endpoint */
  endpoint: string;
  chaos: ChaosController;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of `target` (moto_server) that applies fault rules to every request, and serves the Chaos API
 * itself. `chaos`: the controller to share (the local stack shares one with its endpoint), or the options of a new one.
 */
export async function startChaosProxy(options: {
  target: string;
  /** a moto_server of its own for DynamoDB requests (see motoUpstream); default: `target` serves them too */
  dynamodbTarget?: string;
  chaos?: ChaosController | ChaosOptions;
  host?: string;
  port?: number;
  /** the uploads' facts, shared with every other proxy in front of the same moto (default: this proxy's own) */
  facts?: UploadFacts;
}): Promise<ChaosProxy> {
  const chaos = options.chaos instanceof ChaosController ? options.chaos : new ChaosController(options.chaos);
  const upstream = motoUpstream({ s3: options.target, dynamodb: options.dynamodbTarget }, options.facts);
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    const served = isChaosApiRequest(req.url) ? handleChaosApi(chaos, req, res) : serveWithChaos(chaos, req, res, upstream);
    served.catch((error: Error) => (res.headersSent ? res.destroy(error) : writeAnswer(res, { status: 500, headers: {}, body: error.message })));
  });
  const { url, close } = await listen(server, options.port ?? 0, host);
  return {
    endpoint: url,
    chaos,
    close: () => {
      upstream.close();
      return close();
    },
  };
}
