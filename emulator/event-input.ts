/**
 * What EventBridge does with one event: matches a rule's pattern against it (content filtering), and makes the input
 * its target receives (Input, InputPath, InputTransformer, or the whole event).
 */

export type EventPattern = { [field: string]: EventPattern | unknown[] };

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function matchesValue(matcher: unknown, value: unknown, present: boolean): boolean {
  const values = Array.isArray(value) ? value : [value];
  if (!isPlainObject(matcher)) return present && values.some((v) => v === matcher);
  const [[operator, operand], ...rest] = Object.entries(matcher);
  if (rest.length > 0) throw new Error(`event pattern: one operator per matcher, got ${Object.keys(matcher).join(', ')}`);
  switch (operator) {
    case 'exists':
      return operand === present;
    case 'prefix':
      return present && values.some((v) => typeof v === 'string' && v.startsWith(String(operand)));
    case 'suffix':
      return present && values.some((v) => typeof v === 'string' && v.endsWith(String(operand)));
    case 'equals-ignore-case':
      return present && values.some((v) => typeof v === 'string' && v.toLowerCase() === String(operand).toLowerCase());
    case 'anything-but': {
      const excluded = Array.isArray(operand) ? operand : [operand];
      return present && values.every((v) => !excluded.includes(v));
    }
    default:
      throw new Error(`event pattern: the local EventBridge does not support the "${operator}" matcher`);
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

export const SIMPLE_PATH = /^\$(\.[A-Za-z0-9_-]+)*$/;

/** A JSONPath of the simple form EventBridge targets use ($, $.detail, $.detail.x); undefined when it selects nothing */
export function applyInputPath(event: unknown, inputPath: string | undefined): unknown {
  if (!inputPath || inputPath === '$') return event;
  if (!SIMPLE_PATH.test(inputPath)) throw new Error(`InputPath ${inputPath}: the local EventBridge supports $.a.b paths only`);
  return inputPath
    .slice(2)
    .split('.')
    .reduce<unknown>((node, key) => (isPlainObject(node) && Object.hasOwn(node, key) ? node[key] : undefined), event);
}

// ---------------------------------------------------------------------------------------------------------------
// Events and what a target receives
// ---------------------------------------------------------------------------------------------------------------

/** An event as EventBridge delivers it */
export interface LocalEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** InputTransformer of a rule target, as the EventBridge API names its fields */
export interface InputTransformer {
  InputPathsMap?: Record<string, string>;
  InputTemplate: string;
}

/** How a target's input is made from the event: at most one of the three; none: the whole event. */
export interface TargetInput {
  /** constant JSON text */
  input?: string;
  inputPath?: string;
  inputTransformer?: InputTransformer;
}

/** EventBridge's timestamps: ISO 8601 to the second */
export const eventTime = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The variables EventBridge defines for every InputTemplate, besides those of InputPathsMap. */
function predefinedVariables(event: LocalEvent, rule: { name: string; arn: string }): Record<string, unknown> {
  const { detail: _detail, ...withoutDetail } = event;
  return {
    'aws.events.rule-arn': rule.arn,
    'aws.events.rule-name': rule.name,
    'aws.events.event.ingestion-time': event.time,
    'aws.events.event': withoutDetail,
    'aws.events.event.json': event,
  };
}

/**
 * A value put into a template: in a JSON value position, its JSON (strings get their quotes); inside a string, the
 * text itself, not escaped, and objects and arrays without their inner quotes (as EventBridge documents it: "removes
 * any internal quotes to ensure a valid string"). A variable whose path selects nothing leaves nothing.
 */
function renderVariable(value: unknown, insideString: boolean): string {
  if (value === undefined) return '';
  if (!insideString) return JSON.stringify(value);
  return typeof value === 'string' ? value : JSON.stringify(value).replaceAll('"', '');
}

/**
 * EventBridge's InputTransformer: each InputPathsMap variable takes the value at its path, then every <name> of the
 * template is replaced (see renderVariable). A template that starts with '{' or '[' is JSON: values in value
 * positions keep their JSON type, e.g. `{"request": <detail>, "trigger": "event"}` puts the detail object whole.
 * Returns the text the target receives.
 */
export function applyInputTransformer(event: LocalEvent, transformer: InputTransformer, rule: { name: string; arn: string }): string {
  const variables = new Map(Object.entries(predefinedVariables(event, rule)));
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {})) variables.set(name, applyInputPath(event, path));
  const template = transformer.InputTemplate;
  const json = /^\s*[{[]/.test(template);
  let out = '';
  let insideString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    const end = c === '<' ? template.indexOf('>', i + 1) : -1;
    const name = end > i ? template.slice(i + 1, end) : undefined;
    if (name !== undefined && variables.has(name)) {
      out += renderVariable(variables.get(name), !json || insideString);
      i = end;
      continue;
    }
    if (json && insideString && c === '\\') {
      out += template.slice(i, i + 2);
      i += 1;
      continue;
    }
    if (json && c === '"') insideString = !insideString;
    out += c;
  }
  return out;
}

/** What the target of a rule receives for an event (Input, InputPath, InputTransformer, or the event itself). */
export function targetInput(event: LocalEvent, input: TargetInput, rule: { name: string; arn: string }): string {
  if (input.input !== undefined) return input.input;
  if (input.inputTransformer) return applyInputTransformer(event, input.inputTransformer, rule);
  return JSON.stringify(applyInputPath(event, input.inputPath) ?? {});
}
