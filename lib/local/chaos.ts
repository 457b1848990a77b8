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
import { createHash, randomUUID } from 'node:crypto';
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { S3_ERROR_MESSAGES } from '../task-errors.ts';
import { pageListing, pagesListing, xmlEscape } from './list-uploads-paging.ts';
import { listen } from './listen.ts';

// ---------------------------------------------------------------------------------------------------------------
// Wire helpers shared with the endpoint
// ---------------------------------------------------------------------------------------------------------------

/** Hop-by-hop headers are this connection's business, not the upstream's (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'expect']);

/** Request headers as forwarded to moto: Host rewritten (moto does not check SigV4 signatures), hop-by-hop dropped. */
export function forwardedRequestHeaders(headers: IncomingHttpHeaders, upstreamHost: string): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name) && name !== 'host') out[name] = value;
  out.host = upstreamHost;
  if (headers.host) out['x-forwarded-host'] = headers.host;
  return out;
}

/** Response headers as returned to the client: hop-by-hop dropped. */
export function forwardedResponseHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

/** The body of an AWS JSON error: `{"__type":"<namespace>#<Code>","message":"…"}` (no namespace: the bare code). */
export function awsJsonErrorBody(code: string, message: string, namespace?: string): string {
  return JSON.stringify({ __type: namespace ? `${namespace}#${code}` : code, message });
}

/** the namespace each AWS JSON service puts before an error code in `__type` (SDKs keep the part after '#') */
export const AWS_JSON_ERROR_NAMESPACES: Readonly<Record<string, string>> = {
  dynamodb: 'com.amazonaws.dynamodb.v20120810',
  stepfunctions: 'com.amazonaws.swf.service.v2.model',
};

export const AWS_JSON_1_0 = 'application/x-amz-json-1.0';

/** X-Amz-Target prefix → the service name LocalStack (and the Chaos API) uses */
const JSON_TARGET_SERVICES: Readonly<Record<string, string>> = {
  'DynamoDB_20120810.': 'dynamodb',
  'AWSStepFunctions.': 'stepfunctions',
  'AWSEvents.': 'events',
};

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

// ---------------------------------------------------------------------------------------------------------------
// Naming the operation of a request
// ---------------------------------------------------------------------------------------------------------------

export interface RequestIdentity {
  /** as LocalStack names services: s3, dynamodb, stepfunctions, events */
  service: string;
  /** as the AWS API names it (ListParts, UpdateItem…); undefined when the request names none this table knows */
  operation?: string;
  /** from the SigV4 credential scope; undefined for unsigned requests */
  region?: string;
}

/**
 * S3's REST operations (path-style addressing): method, what the path names (service, bucket or object), then
 * `?param` (the query has it) and `+header` (the request has it) conditions. Rows are tried in order: specific first.
 */
const S3_OPERATION_TABLE = `
  GET    service                              ListBuckets
  GET    bucket  ?uploads                     ListMultipartUploads
  GET    bucket  ?versions                    ListObjectVersions
  GET    bucket  ?location                    GetBucketLocation
  GET    bucket  ?versioning                  GetBucketVersioning
  GET    bucket  ?policy                      GetBucketPolicy
  GET    bucket  ?tagging                     GetBucketTagging
  GET    bucket  ?lifecycle                   GetBucketLifecycleConfiguration
  GET    bucket  ?acl                         GetBucketAcl
  GET    bucket  ?cors                        GetBucketCors
  GET    bucket  ?encryption                  GetBucketEncryption
  GET    bucket  ?list-type                   ListObjectsV2
  GET    bucket                               ListObjects
  HEAD   bucket                               HeadBucket
  PUT    bucket  ?versioning                  PutBucketVersioning
  PUT    bucket  ?policy                      PutBucketPolicy
  PUT    bucket  ?tagging                     PutBucketTagging
  PUT    bucket  ?lifecycle                   PutBucketLifecycleConfiguration
  PUT    bucket  ?acl                         PutBucketAcl
  PUT    bucket  ?cors                        PutBucketCors
  PUT    bucket  ?encryption                  PutBucketEncryption
  PUT    bucket                               CreateBucket
  DELETE bucket  ?policy                      DeleteBucketPolicy
  DELETE bucket  ?tagging                     DeleteBucketTagging
  DELETE bucket  ?lifecycle                   DeleteBucketLifecycle
  DELETE bucket  ?cors                        DeleteBucketCors
  DELETE bucket  ?encryption                  DeleteBucketEncryption
  DELETE bucket                               DeleteBucket
  POST   bucket  ?delete                      DeleteObjects
  GET    object  ?uploadId                    ListParts
  GET    object  ?tagging                     GetObjectTagging
  GET    object  ?acl                         GetObjectAcl
  GET    object  ?attributes                  GetObjectAttributes
  GET    object                               GetObject
  HEAD   object                               HeadObject
  PUT    object  ?uploadId +x-amz-copy-source UploadPartCopy
  PUT    object  ?uploadId                    UploadPart
  PUT    object  ?tagging                     PutObjectTagging
  PUT    object  ?acl                         PutObjectAcl
  PUT    object  +x-amz-copy-source           CopyObject
  PUT    object                               PutObject
  DELETE object  ?uploadId                    AbortMultipartUpload
  DELETE object  ?tagging                     DeleteObjectTagging
  DELETE object                               DeleteObject
  POST   object  ?uploads                     CreateMultipartUpload
  POST   object  ?uploadId                    CompleteMultipartUpload
  POST   object  ?restore                     RestoreObject
  POST   object  ?select                      SelectObjectContent
`;

type S3Scope = 'service' | 'bucket' | 'object';
interface S3OperationRow {
  method: string;
  scope: S3Scope;
  query: string[];
  headers: string[];
  operation: string;
}

const S3_OPERATIONS: readonly S3OperationRow[] = S3_OPERATION_TABLE.trim()
  .split('\n')
  .map((line) => {
    const [method, scope, ...rest] = line.trim().split(/\s+/);
    const operation = rest.pop()!;
    return {
      method,
      scope: scope as S3Scope,
      operation,
      query: rest.filter((t) => t.startsWith('?')).map((t) => t.slice(1)),
      headers: rest.filter((t) => t.startsWith('+')).map((t) => t.slice(1)),
    };
  });

/** The S3 operation a path-style REST request performs: DELETE /bucket/key?uploadId=… → AbortMultipartUpload. */
export function s3OperationName(method: string, url: URL, headers: IncomingHttpHeaders = {}): string | undefined {
  const [bucket, ...key] = url.pathname.split('/').slice(1);
  const scope: S3Scope = !bucket ? 'service' : key.join('/') === '' ? 'bucket' : 'object';
  const row = S3_OPERATIONS.find(
    (r) => r.method === method && r.scope === scope && r.query.every((q) => url.searchParams.has(q)) && r.headers.every((h) => headers[h] !== undefined),
  );
  return row?.operation;
}

/** The region of a SigV4-signed request (Authorization header or presigned X-Amz-Credential): its credential scope. */
export function signedRegion(headers: IncomingHttpHeaders, url?: URL): string | undefined {
  const credential = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\//.exec(header(headers, 'authorization') ?? '');
  if (credential) return credential[1];
  return /^[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(url?.searchParams.get('X-Amz-Credential') ?? '')?.[1];
}

/** service, operation and region of a request to the endpoint: from X-Amz-Target for JSON services, else S3 REST. */
export function identifyRequest(req: { method?: string; url?: string; headers: IncomingHttpHeaders }): RequestIdentity {
  const url = new URL(req.url ?? '/', 'http://local');
  const region = signedRegion(req.headers, url);
  const target = header(req.headers, 'x-amz-target');
  if (target) {
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, dot + 1);
    return { service: JSON_TARGET_SERVICES[prefix] ?? prefix.slice(0, -1).toLowerCase(), operation: target.slice(dot + 1), region };
  }
  return { service: 's3', operation: s3OperationName(req.method ?? 'GET', url, req.headers), region };
}

// ---------------------------------------------------------------------------------------------------------------
// Fault rules
// ---------------------------------------------------------------------------------------------------------------

export interface FaultError {
  statusCode: number;
  code: string;
  /** project extension: the error's message (default: says the Chaos API injected it) */
  message?: string;
}

/** One fault rule as the Chaos API takes it: LocalStack's fields plus this project's extensions. */
export interface FaultRule {
  service?: string;
  /** the AWS API's operation name; compared without regard to case (ListParts = listParts) */
  operation?: string;
  region?: string;
  /** 0–1, default 1 */
  probability?: number;
  /** default 503 ServiceUnavailable */
  error?: Partial<FaultError>;
  /** destroy the connection instead of answering */
  reset?: boolean;
  /** forward the request, let the service apply it, then answer the error (or reset) instead: the answer is lost */
  after?: boolean;
  /** answer success without forwarding anything (S3 DELETE: 204; other S3: 200 empty; JSON services: 200 {}) */
  drop?: boolean;
  /** inject at most this many times, then let requests through */
  times?: number;
  /** seeds this rule's own random numbers (repeatable probabilities) */
  seed?: number | string;
}

/** a rule as GET /_localstack/chaos/faults shows it: with the number of requests it has failed so far */
export type FaultRuleView = FaultRule & { injected: number };

export interface NetworkEffects {
  /** milliseconds added before every request is handled */
  latency?: number;
}

/** what the layer does to a request a rule caught */
export type FaultAction = { kind: 'error'; error: FaultError; after: boolean } | { kind: 'reset'; after: boolean } | { kind: 'drop' };

export const DEFAULT_FAULT_ERROR: FaultError = { statusCode: 503, code: 'ServiceUnavailable' };

/** A Chaos API request that cannot be served; `status` is its HTTP status. */
export class ChaosApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const invalid = (message: string) => new ChaosApiError(400, message);
const RULE_FIELDS = ['service', 'operation', 'region', 'probability', 'error', 'reset', 'after', 'drop', 'times', 'seed'] as const;
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function optionalString(rule: Record<string, unknown>, name: string, where: string): void {
  if (rule[name] !== undefined && (typeof rule[name] !== 'string' || rule[name] === '')) throw invalid(`${where}.${name}: must be a non-empty string`);
}

/** One rule, checked field by field; `injected` (as GET shows it) is accepted and ignored, any other unknown field refused. */
export function validateFaultRule(value: unknown, where = 'rule'): FaultRule {
  if (!isPlainObject(value)) throw invalid(`${where}: must be an object`);
  for (const name of Object.keys(value)) {
    if (name === 'injected' || (RULE_FIELDS as readonly string[]).includes(name)) continue;
    throw invalid(`${where}.${name}: is not a rule field (${RULE_FIELDS.join(', ')})`);
  }
  for (const name of ['service', 'operation', 'region']) optionalString(value, name, where);
  const { probability, error, times, seed } = value;
  if (probability !== undefined && (typeof probability !== 'number' || !(probability >= 0 && probability <= 1))) {
    throw invalid(`${where}.probability: must be a number from 0 to 1`);
  }
  for (const name of ['reset', 'after', 'drop']) {
    if (value[name] !== undefined && typeof value[name] !== 'boolean') throw invalid(`${where}.${name}: must be true or false`);
  }
  if (times !== undefined && !(Number.isInteger(times) && (times as number) >= 1)) throw invalid(`${where}.times: must be a whole number ≥ 1`);
  if (seed !== undefined && typeof seed !== 'number' && typeof seed !== 'string') throw invalid(`${where}.seed: must be a number or a string`);
  if (error !== undefined) {
    if (!isPlainObject(error)) throw invalid(`${where}.error: must be an object {statusCode, code}`);
    const unknown = Object.keys(error).filter((k) => !['statusCode', 'code', 'message'].includes(k));
    if (unknown.length) throw invalid(`${where}.error.${unknown[0]}: is not an error field (statusCode, code, message)`);
    if (error.statusCode !== undefined && !(Number.isInteger(error.statusCode) && (error.statusCode as number) >= 400 && (error.statusCode as number) <= 599)) {
      throw invalid(`${where}.error.statusCode: must be an HTTP error status (400-599)`);
    }
    optionalString(error, 'code', `${where}.error`);
    if (error.message !== undefined && typeof error.message !== 'string') throw invalid(`${where}.error.message: must be a string`);
  }
  if (value.drop === true && (value.after === true || value.reset === true || error !== undefined)) {
    throw invalid(`${where}: drop answers success without forwarding; it cannot be combined with after, reset or error`);
  }
  if (value.reset === true && error !== undefined) throw invalid(`${where}: reset answers nothing; it cannot be combined with error`);
  return Object.fromEntries(RULE_FIELDS.filter((name) => value[name] !== undefined).map((name) => [name, value[name]])) as FaultRule;
}

/** The body of POST/PATCH/DELETE /_localstack/chaos/faults: an array of rules. */
export function validateFaultRules(value: unknown): FaultRule[] {
  if (!Array.isArray(value)) throw invalid('the body must be a JSON array of fault rules');
  return value.map((rule, i) => validateFaultRule(rule, `[${i}]`));
}

export function validateEffects(value: unknown): NetworkEffects {
  if (!isPlainObject(value)) throw invalid('the body must be a JSON object {"latency": ms}');
  const unknown = Object.keys(value).filter((k) => k !== 'latency');
  if (unknown.length) throw invalid(`${unknown[0]}: is not a network effect (latency)`);
  const { latency } = value;
  if (latency !== undefined && !(typeof latency === 'number' && latency >= 0 && latency <= 60_000)) {
    throw invalid('latency: must be milliseconds from 0 to 60000');
  }
  return latency === undefined ? {} : { latency };
}

/** A rule's identity for DELETE: its fields in one order, `injected` left out. */
const canonicalRule = (rule: FaultRule): string => JSON.stringify(RULE_FIELDS.map((name) => [name, rule[name] ?? null]));

/** Does the rule name this request? Unset fields match everything; operations are compared without regard to case. */
export function ruleMatches(rule: FaultRule, request: RequestIdentity): boolean {
  if (rule.service !== undefined && rule.service.toLowerCase() !== request.service) return false;
  if (rule.operation !== undefined && rule.operation.toLowerCase() !== request.operation?.toLowerCase()) return false;
  return rule.region === undefined || rule.region === request.region;
}

export function faultAction(rule: FaultRule): FaultAction {
  if (rule.drop) return { kind: 'drop' };
  if (rule.reset) return { kind: 'reset', after: rule.after === true };
  return { kind: 'error', after: rule.after === true, error: { ...DEFAULT_FAULT_ERROR, ...rule.error } as FaultError };
}

/** A repeatable stream of numbers in [0, 1) from any seed (SHA-256 of the seed → mulberry32). */
export function seededRandom(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ActiveRule {
  rule: FaultRule;
  injected: number;
  random: () => number;
}

export interface ChaosOptions {
  faults?: FaultRule[];
  effects?: NetworkEffects;
  /** seeds every rule that has no seed of its own; without any seed, probabilities use Math.random */
  seed?: number | string;
  /** one line per injected fault */
  log?: (line: string) => void;
}

export interface ChaosCounts {
  /** faults injected since the rules were last replaced */
  injected: number;
  /** per rule, in rule order */
  rules: FaultRuleView[];
  /** per "service:Operation" */
  operations: Record<string, number>;
}

/** The Chaos API's state: fault rules (with their random streams and counts), network effects, the seed. */
export class ChaosController {
  private rules: ActiveRule[] = [];
  private effectsValue: NetworkEffects = {};
  private seedValue: number | string | undefined;
  private operations = new Map<string, number>();
  readonly log?: (line: string) => void;

  constructor(options: ChaosOptions = {}) {
    this.seedValue = options.seed;
    this.log = options.log;
    if (options.faults) this.setFaults(options.faults);
    if (options.effects) this.setEffects(options.effects);
  }

  private activate(rule: FaultRule, position: number): ActiveRule {
    const seed =
      rule.seed !== undefined ? `rule:${rule.seed}` : this.seedValue !== undefined ? `${this.seedValue}:${position}:${canonicalRule(rule)}` : undefined;
    return { rule, injected: 0, random: seed === undefined ? Math.random : seededRandom(seed) };
  }

  /** POST: replaces every rule (counts start again) */
  setFaults(rules: FaultRule[]): FaultRuleView[] {
    const checked = validateFaultRules(rules);
    this.rules = checked.map((rule, i) => this.activate(rule, i));
    this.operations.clear();
    return this.faults();
  }

  /** PATCH: appends rules */
  addFaults(rules: FaultRule[]): FaultRuleView[] {
    const checked = validateFaultRules(rules);
    this.rules.push(...checked.map((rule, i) => this.activate(rule, this.rules.length + i)));
    return this.faults();
  }

  /** DELETE: removes every rule equal to one of these (fields compared, counts ignored) */
  removeFaults(rules: FaultRule[]): FaultRuleView[] {
    const doomed = new Set(validateFaultRules(rules).map(canonicalRule));
    this.rules = this.rules.filter((active) => !doomed.has(canonicalRule(active.rule)));
    return this.faults();
  }

  faults(): FaultRuleView[] {
    return this.rules.map(({ rule, injected }) => ({ ...rule, injected }));
  }

  setEffects(effects: NetworkEffects): NetworkEffects {
    this.effectsValue = validateEffects(effects);
    return this.effects();
  }

  effects(): NetworkEffects {
    return { latency: this.effectsValue.latency ?? 0 };
  }

  get seed(): number | string | undefined {
    return this.seedValue;
  }

  /** sets the seed and restarts the random stream of every rule (a rule with its own seed restarts from it) */
  setSeed(seed: number | string | undefined): void {
    this.seedValue = seed;
    this.rules = this.rules.map((active, i) => ({ ...this.activate(active.rule, i), injected: active.injected }));
  }

  counts(): ChaosCounts {
    const rules = this.faults();
    return { injected: rules.reduce((sum, r) => sum + r.injected, 0), rules, operations: Object.fromEntries(this.operations) };
  }

  /**
   * The fault for this request, if any: rules are tried in order; a rule applies when it names the request, has
   * injections left (`times`) and its probability draw succeeds. A rule whose draw fails lets the next rules try.
   */
  decide(request: RequestIdentity): FaultAction | undefined {
    for (const active of this.rules) {
      const { rule } = active;
      if (!ruleMatches(rule, request)) continue;
      if (rule.times !== undefined && active.injected >= rule.times) continue;
      const probability = rule.probability ?? 1;
      if (probability < 1 && !(active.random() < probability)) continue;
      active.injected += 1;
      const key = `${request.service}:${request.operation ?? '?'}`;
      this.operations.set(key, (this.operations.get(key) ?? 0) + 1);
      const action = faultAction(rule);
      const what = action.kind === 'error' ? `${action.error.statusCode} ${action.error.code}` : action.kind;
      this.log?.(`chaos: ${key} → ${what}${action.kind !== 'drop' && action.after ? ' (after the service applied it)' : ''}`);
      return action;
    }
    return undefined;
  }
}

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

/** moto's whole ListMultipartUploads answer, read and passed on as the page S3 would send (lib/local/list-uploads-paging.ts) */
async function pagedAnswer(answer: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of answer) chunks.push(chunk as Buffer);
  } catch {
    res.destroy();
    return;
  }
  const whole = Buffer.concat(chunks).toString('utf8');
  const body = pageListing(whole, url) ?? whole;
  const { 'transfer-encoding': _chunked, ...headers } = forwardedResponseHeaders(answer.headers);
  res.writeHead(200, answer.statusMessage, { ...headers, 'content-length': String(Buffer.byteLength(body)) }).end(body);
}

/** An upstream that forwards requests byte for byte to an HTTP server (moto_server) and streams its answers back. */
export function proxyUpstream(target: string): Upstream & { close(): void } {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const send = (req: IncomingMessage, onAnswer: (answer: IncomingMessage) => void, onError: (error: Error) => void) => {
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        agent,
        headers: forwardedRequestHeaders(req.headers, upstream.host),
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
      const paged = pagesListing(req.method, url);
      const forwarded = send(
        req,
        (answer) => {
          answer.on('error', () => res.destroy());
          if (paged && answer.statusCode === 200) {
            void pagedAnswer(answer, res, url);
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
      return new Promise<void>((resolve, reject) => {
        send(
          req,
          (answer) => {
            answer.on('end', () => resolve()).on('error', reject);
            answer.resume();
          },
          reject,
        );
      });
    },
    close: () => agent.destroy(),
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
    throw invalid('the body is not valid JSON');
  }
}

function seedFrom(body: unknown): number | string | undefined {
  if (!isPlainObject(body) || Object.keys(body).some((k) => k !== 'seed')) throw invalid('the body must be {"seed": number | string | null}');
  const { seed } = body;
  if (seed !== null && seed !== undefined && typeof seed !== 'number' && typeof seed !== 'string') throw invalid('seed: must be a number, a string or null');
  return seed ?? undefined;
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
    chaos.setSeed(seedFrom(body));
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
export async function startChaosProxy(options: { target: string; chaos?: ChaosController | ChaosOptions; host?: string; port?: number }): Promise<ChaosProxy> {
  const chaos = options.chaos instanceof ChaosController ? options.chaos : new ChaosController(options.chaos);
  const upstream = proxyUpstream(options.target);
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    const served = isChaosApiRequest(req.url) ? handleChaosApi(chaos, req, res) : serveWithChaos(chaos, req, res, upstream);
    served.catch((error: Error) => (res.headersSent ? res.destroy(error) : writeAnswer(res, { status: 500, headers: {}, body: error.message })));
  });
  const { url } = await listen(server, options.port ?? 0, host);
  return {
    endpoint: url,
    chaos,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        upstream.close();
      }),
  };
}
