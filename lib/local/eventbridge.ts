/**
 * The local EventBridge: PutEvents on the local endpoint matches each event against the project's rules (their
 * patterns read from serverless.yml) and starts the target state machine with the target's InputPath applied,
 * as EventBridge does for a Step Functions target.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { LocalStepFunctions } from './runtime.ts';

export type EventPattern = { [field: string]: EventPattern | unknown[] };

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function matchesValue(matcher: unknown, value: unknown, present: boolean): boolean {
  const values = Array.isArray(value) ? value : [value];
  if (!isPlainObject(matcher)) return present && values.some((v) => v === matcher);
  const [[operator, operand], ...rest] = Object.entries(matcher);
  if (rest.length > 0) throw new Error(`event pattern: one operator per matcher, got ${Object.keys(matcher).join(', ')}`);
  switch (operator) {
    case 'exists': return operand === present;
    case 'prefix': return present && values.some((v) => typeof v === 'string' && v.startsWith(String(operand)));
    case 'suffix': return present && values.some((v) => typeof v === 'string' && v.endsWith(String(operand)));
    case 'equals-ignore-case': return present && values.some((v) => typeof v === 'string' && v.toLowerCase() === String(operand).toLowerCase());
    case 'anything-but': {
      const excluded = Array.isArray(operand) ? operand : [operand];
      return present && values.every((v) => !excluded.includes(v));
    }
    default: throw new Error(`event pattern: the local EventBridge does not support the "${operator}" matcher`);
  }
}

/** EventBridge content filtering: every field of the pattern must match; arrays list the accepted values. */
export function matchesPattern(pattern: EventPattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, rule]) => {
    const present = Object.hasOwn(event, field);
    const value = event[field];
    if (Array.isArray(rule)) return rule.some((matcher) => matchesValue(matcher, value, present));
    if (!isPlainObject(rule)) throw new Error(`event pattern: "${field}" must be an array or an object`);
    return present && isPlainObject(value) && matchesPattern(rule as EventPattern, value);
  });
}

/** A JSONPath of the simple form EventBridge targets use ($, $.detail, $.detail.x) */
export function applyInputPath(event: unknown, inputPath: string | undefined): unknown {
  if (!inputPath || inputPath === '$') return event;
  if (!/^\$(\.[A-Za-z0-9_-]+)+$/.test(inputPath)) throw new Error(`InputPath ${inputPath}: the local EventBridge supports $.a.b paths only`);
  return inputPath.slice(2).split('.').reduce<unknown>((node, key) => (isPlainObject(node) ? node[key] : undefined), event);
}

export interface LocalRule {
  name: string;
  pattern: EventPattern;
  stateMachineArn: string;
  inputPath?: string;
}

export interface PutEventsEntry { Source?: string; DetailType?: string; Detail?: string; Resources?: string[]; Time?: string | number; EventBusName?: string }

export interface LocalEventBus {
  putEvents(body: { Entries?: PutEventsEntry[] }): { FailedEntryCount: number; Entries: Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }> };
  /** executions started by events so far */
  readonly started: string[];
}

export function createLocalEventBus(options: { runtime: LocalStepFunctions; rules: LocalRule[]; log?: (line: string) => void }): LocalEventBus {
  const started: string[] = [];
  return {
    started,
    putEvents(body) {
      const entries = body.Entries ?? [];
      const results = entries.map((entry) => {
        if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
          return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Source, DetailType and Detail are required' };
        }
        let detail: unknown;
        try {
          detail = JSON.parse(entry.Detail);
        } catch {
          return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' };
        }
        const id = randomUUID();
        const event = {
          version: '0', id, 'detail-type': entry.DetailType, source: entry.Source, account: options.runtime.accountId,
          time: new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          region: options.runtime.region, resources: entry.Resources ?? [], detail,
        };
        for (const rule of options.rules) {
          if (!matchesPattern(rule.pattern, event)) continue;
          const { executionArn } = options.runtime.startExecution({
            stateMachineArn: rule.stateMachineArn, name: id, input: JSON.stringify(applyInputPath(event, rule.inputPath) ?? {}),
          });
          started.push(executionArn);
          options.log?.(`event ${id} matched rule ${rule.name} → ${executionArn}`);
        }
        return { EventId: id };
      });
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    },
  };
}

const SERVERLESS_YML = fileURLToPath(new URL('../../serverless.yml', import.meta.url));

interface ServerlessConfig {
  params?: Record<string, Record<string, unknown>>;
  provider?: { stage?: string };
  custom?: Record<string, unknown>;
  stepFunctions?: { stateMachines?: Record<string, { events?: Array<{ eventBridge?: { event?: unknown; pattern?: unknown; inputPath?: string } }> }> };
}

/**
 * The EventBridge rules that target a state machine, as serverless.yml declares them: the pattern (written once, under
 * custom, and referenced as ${self:custom.NAME}) and the target's InputPath.
 */
export function stateMachineRulesFromServerlessYml(stateMachine: string, file = SERVERLESS_YML, stage?: string): Array<{ name: string; pattern: EventPattern; inputPath?: string }> {
  const config = parse(readFileSync(file, 'utf8')) as ServerlessConfig;
  const params = { ...config.params?.default, ...config.params?.[stage ?? config.provider?.stage ?? 'dev'] };
  /** `${param:NAME}` values (the allowlist as matchers, say) from the stage's params, as the framework resolves them */
  const resolve = (node: unknown): unknown => {
    if (typeof node === 'string') {
      const param = /^\$\{param:([A-Za-z0-9_]+)(?:,\s*[^}]*)?\}$/.exec(node);
      if (!param) return node;
      if (!(param[1] in params)) throw new Error(`${file}: the rule pattern of ${stateMachine} needs the param ${param[1]}, which the stage does not set`);
      return params[param[1]];
    }
    if (Array.isArray(node)) return node.flatMap((item) => { const value = resolve(item); return typeof item === 'string' && Array.isArray(value) ? value : [value]; });
    if (isPlainObject(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v)]));
    return node;
  };
  const events = config.stepFunctions?.stateMachines?.[stateMachine]?.events ?? [];
  return events.filter((e) => e.eventBridge).map(({ eventBridge }, i) => {
    let pattern = eventBridge!.event ?? eventBridge!.pattern;
    const reference = typeof pattern === 'string' ? /^\$\{self:custom\.([A-Za-z0-9_]+)\}$/.exec(pattern) : null;
    if (reference) pattern = config.custom?.[reference[1]];
    pattern = resolve(pattern);
    if (!isPlainObject(pattern)) throw new Error(`${file}: the eventBridge event ${i} of ${stateMachine} has no pattern the local EventBridge can read`);
    return { name: `${stateMachine}-${reference?.[1] ?? i}`, pattern: pattern as EventPattern, inputPath: eventBridge!.inputPath };
  });
}
