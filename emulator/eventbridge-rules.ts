/**
 * The project's EventBridge rules as serverless.yml declares them (patterns under custom or inline, `${param:…}`,
 * `{ Ref: <state machine id> }`, the target's input), read for the local EventBridge.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { LocalRule } from './eventbridge.ts';
import { SIMPLE_PATH, isPlainObject, type EventPattern, type InputTransformer } from './event-input.ts';

const SERVERLESS_YML = fileURLToPath(new URL('serverless.yml', import.meta.resolve('s3-mpu-reaper/package.json')));
/** the deploy's own derivation of the allowlist's forms (custom.allowlist is `${allowlist:forms}` in serverless.yml) */
const { allowlistForms, parseAllowedBuckets } = createRequire(import.meta.url)('s3-mpu-reaper/plugins/allowlist.cjs') as {
  allowlistForms: (patterns: string[]) => Record<string, unknown>;
  parseAllowedBuckets: (value: unknown, stage: string) => string[];
};

interface EventBridgeEventSpec {
  event?: unknown;
  pattern?: unknown;
  input?: unknown;
  inputPath?: string;
  inputTransformer?: { inputPathsMap?: Record<string, string>; inputTemplate?: string };
}
type EventsOf = { events?: Array<{ eventBridge?: EventBridgeEventSpec }> };

interface ServerlessConfig {
  params?: Record<string, Record<string, unknown>>;
  provider?: { stage?: string };
  custom?: Record<string, unknown>;
  functions?: Record<string, EventsOf & { handler: string }>;
  stepFunctions?: { stateMachines?: Record<string, EventsOf & { id?: string }> };
}

/** a rule as serverless.yml declares it, before its target is known by ARN */
export interface RuleSpec {
  name: string;
  pattern: EventPattern;
  /** the state machine (its key under stepFunctions.stateMachines) or the function (its key under functions) */
  owner: { kind: 'stateMachine' | 'function'; key: string };
  inputPath?: string;
  inputTransformer?: InputTransformer;
  input?: string;
}

export interface RuleSpecOptions {
  file?: string;
  stage?: string;
  /** state machine key → ARN, for `{ Ref: <state machine id> }` in patterns */
  stateMachineArns?: Record<string, string>;
  /** only the rules of these owners (default: all) */
  include?: (owner: RuleSpec['owner']) => boolean;
}

function checkPaths(spec: RuleSpec, file: string): RuleSpec {
  const paths = [spec.inputPath, ...Object.values(spec.inputTransformer?.InputPathsMap ?? {})].filter((p): p is string => p !== undefined);
  const unsupported = paths.find((p) => !SIMPLE_PATH.test(p));
  if (unsupported) throw new Error(`${file}: rule ${spec.name} uses the path ${unsupported}; the local EventBridge supports $.a.b paths only`);
  return spec;
}

/**
 * Every EventBridge rule of serverless.yml, of state machines and of functions: the pattern (written under custom
 * and referenced as ${self:custom.NAME}, or inline), `${param:…}` values from the stage's params, `{ Ref: <state
 * machine id> }` as that machine's ARN (`stateMachineArns`, by key), and the target's input (input, inputPath or
 * inputTransformer, as both plugins name them).
 */
export function ruleSpecsFromServerlessYml(options: RuleSpecOptions = {}): RuleSpec[] {
  const file = options.file ?? SERVERLESS_YML;
  const config = parse(readFileSync(file, 'utf8')) as ServerlessConfig;
  const stage = options.stage ?? config.provider?.stage ?? 'dev';
  const params = { ...config.params?.default, ...config.params?.[stage] };
  const machines = config.stepFunctions?.stateMachines ?? {};
  const arnOfId = (id: string) => {
    const key = Object.keys(machines).find((k) => machines[k].id === id);
    const arn = key === undefined ? undefined : options.stateMachineArns?.[key];
    if (arn === undefined) throw new Error(`${file}: a rule pattern refers to { Ref: ${id} }, which is no state machine of this stack`);
    return arn;
  };
  /** `${param:NAME}` values from the stage's params, and the allowlist's forms, as the framework resolves them */
  const resolve = (node: unknown, owner: string): unknown => {
    if (typeof node === 'string') {
      const form = /^\$\{self:custom\.allowlist\.([A-Za-z]+)\}$/.exec(node);
      if (form) return allowlistForms(parseAllowedBuckets(params.allowedBuckets, stage))[form[1]];
      const param = /^\$\{param:([A-Za-z0-9_]+)(?:,\s*[^}]*)?\}$/.exec(node);
      if (!param) return node;
      if (!(param[1] in params)) throw new Error(`${file}: the rule pattern of ${owner} needs the param ${param[1]}, which the stage does not set`);
      return params[param[1]];
    }
    if (Array.isArray(node)) {
      return node.flatMap((item) => {
        const value = resolve(item, owner);
        return typeof item === 'string' && Array.isArray(value) ? value : [value];
      });
    }
    if (isPlainObject(node) && Object.keys(node).length === 1 && typeof node.Ref === 'string') return arnOfId(node.Ref);
    if (isPlainObject(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v, owner)]));
    return node;
  };
  const specsOf = (kind: RuleSpec['owner']['kind'], key: string, owner: EventsOf): RuleSpec[] =>
    (owner.events ?? [])
      .filter((e) => e.eventBridge && options.include?.({ kind, key }) !== false)
      .map(({ eventBridge: spec }, i) => {
        let pattern = spec!.event ?? spec!.pattern;
        const reference = typeof pattern === 'string' ? /^\$\{self:custom\.([A-Za-z0-9_]+)\}$/.exec(pattern) : null;
        if (reference) pattern = config.custom?.[reference[1]];
        pattern = resolve(pattern, key);
        if (!isPlainObject(pattern)) throw new Error(`${file}: the eventBridge event ${i} of ${key} has no pattern the local EventBridge can read`);
        const transformer = spec!.inputTransformer;
        return checkPaths(
          {
            name: `${key}-${reference?.[1] ?? i}`,
            pattern: pattern as EventPattern,
            owner: { kind, key },
            ...(spec!.inputPath !== undefined ? { inputPath: spec!.inputPath } : {}),
            ...(spec!.input !== undefined ? { input: typeof spec!.input === 'string' ? spec!.input : JSON.stringify(spec!.input) } : {}),
            ...(transformer ? { inputTransformer: { InputPathsMap: transformer.inputPathsMap, InputTemplate: String(transformer.inputTemplate ?? '') } } : {}),
          },
          file,
        );
      });
  return [
    ...Object.entries(machines).flatMap(([key, machine]) => specsOf('stateMachine', key, machine)),
    ...Object.entries(config.functions ?? {}).flatMap(([key, fn]) => specsOf('function', key, fn)),
  ];
}

/** The rules of one state machine (its key under stepFunctions.stateMachines). */
export function stateMachineRulesFromServerlessYml(stateMachine: string, file?: string, stage?: string): RuleSpec[] {
  return ruleSpecsFromServerlessYml({ file, stage, include: (owner) => owner.kind === 'stateMachine' && owner.key === stateMachine });
}

/** The rules of serverless.yml with their targets: state machines by ARN (those of stateMachineArns), functions by handler. */
export function localRulesFromServerlessYml(options: { stateMachineArns: Record<string, string>; file?: string; stage?: string }): LocalRule[] {
  const file = options.file ?? SERVERLESS_YML;
  const functions = (parse(readFileSync(file, 'utf8')) as ServerlessConfig).functions ?? {};
  return ruleSpecsFromServerlessYml({ ...options, include: (owner) => owner.kind === 'function' || options.stateMachineArns[owner.key] !== undefined }).map(
    ({ name, pattern, owner, ...input }) => ({
      name,
      pattern,
      input,
      target:
        owner.kind === 'stateMachine'
          ? { kind: 'stateMachine', arn: options.stateMachineArns[owner.key] }
          : { kind: 'function', name: owner.key, handler: functions[owner.key].handler },
    }),
  );
}
