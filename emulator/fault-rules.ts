/**
 * The Chaos API's fault rules: LocalStack's fields plus this project's extensions, validated field by field, and the
 * controller that holds them (with seeded random streams and counts) and decides which fault a request gets.
 */
import { createHash } from 'node:crypto';
import type { RequestIdentity } from './wire.ts';

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
  /** project extension: S3 requests to this bucket only (path-style: the first path segment) */
  bucket?: string;
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
const RULE_FIELDS = ['service', 'operation', 'region', 'bucket', 'probability', 'error', 'reset', 'after', 'drop', 'times', 'seed'] as const;
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
  for (const name of ['service', 'operation', 'region', 'bucket']) optionalString(value, name, where);
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

/** The body of POST /_localstack/chaos/config: {"seed": number | string | null}. */
export function validateSeedConfig(body: unknown): number | string | undefined {
  if (!isPlainObject(body) || Object.keys(body).some((k) => k !== 'seed')) throw invalid('the body must be {"seed": number | string | null}');
  const { seed } = body;
  if (seed !== null && seed !== undefined && typeof seed !== 'number' && typeof seed !== 'string') throw invalid('seed: must be a number, a string or null');
  return seed ?? undefined;
}

/** A rule's identity for DELETE: its fields in one order, `injected` left out. */
const canonicalRule = (rule: FaultRule): string => JSON.stringify(RULE_FIELDS.map((name) => [name, rule[name] ?? null]));

/** Does the rule name this request? Unset fields match everything; operations are compared without regard to case. */
export function ruleMatches(rule: FaultRule, request: RequestIdentity): boolean {
  if (rule.service !== undefined && rule.service.toLowerCase() !== request.service) return false;
  if (rule.operation !== undefined && rule.operation.toLowerCase() !== request.operation?.toLowerCase()) return false;
  if (rule.bucket !== undefined && rule.bucket !== request.bucket) return false;
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
