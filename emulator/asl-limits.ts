/**
 * Limits AWS Step Functions enforces and the local engine (aws-local-stepfunctions) does not, as plain rules: an
 * intrinsic-function parser, the nesting limit, the argument rules of the intrinsics with limits, the payload limit,
 * and the terminal errors (States.Runtime, States.DataLimitExceeded) that no Retry or Catch may handle.
 * Sources are cited at each rule; test/conformance/*.test.ts proves each one.
 */

/**
 * Payloads: "Maximum input or output size for a task, state, or execution: 262,144 bytes of data as a UTF-8 encoded
 * string" (developer guide, "Step Functions service quotas"); StartExecution's `input`: "Maximum length of 262144",
 * "expressed as bytes in UTF-8 encoding" (API reference, StartExecution).
 */
export const PAYLOAD_LIMIT_BYTES = 262_144;

/** "You can nest up to 10 intrinsic functions within a field" (developer guide, "Intrinsic functions"). */
export const MAX_INTRINSICS_PER_FIELD = 10;

/** "Maximum execution history size: 25,000 events" for Standard workflows (developer guide, service quotas). */
export const HISTORY_EVENT_LIMIT = 25_000;

/** "Maximum execution duration: 5 minutes" for Express workflows (developer guide, "Standard vs. Express workflows"). */
export const EXPRESS_MAX_DURATION_MS = 5 * 60 * 1000;

/**
 * An error no Retry or Catch handles, not even one naming it. The engine reads `isRetryable` / `isCatchable` of every
 * error a state throws (its own States.Runtime errors carry both as false) and lets the error fail the execution.
 */
export class TerminalStatesError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/** UTF-8 bytes of a value's JSON, as Step Functions measures payloads */
export const payloadBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');

/**
 * States.DataLimitExceeded, with the cause AWS records for a result past the limit (LocalStack's AWS-recorded snapshot
 * tests/aws/services/stepfunctions/v2/error_handling/test_states_errors.snapshot.json, 21-03-2024:
 * "The state/task 'State_1' returned a result with a size exceeding the maximum number of bytes service limit.").
 * `who` is the state's name for a state's output, the resource type ('aws-sdk:s3', 'lambda') for a Task's result.
 * No recording shows the cause for an oversized input: `input` uses the same wording with "has an input".
 *
 * AWS documents DataLimitExceeded as terminal ("can't be caught by the States.ALL error type", developer guide,
 * "Handling errors in Step Functions workflows"); the same recording shows a Task's oversized result caught by a
 * Catch on States.ALL. This runtime keeps the documented, stricter rule: a definition that is green here does not
 * depend on catching it.
 */
export function assertWithinPayloadLimit(value: unknown, who: string, what: 'result' | 'input' = 'result'): void {
  if (payloadBytes(value) <= PAYLOAD_LIMIT_BYTES) return;
  const verb = what === 'result' ? 'returned a result' : 'has an input';
  throw new TerminalStatesError('States.DataLimitExceeded', `The state/task '${who}' ${verb} with a size exceeding the maximum number of bytes service limit.`);
}

// ---------------------------------------------------------------------------------------------------------------
// Intrinsic functions: one parser for the nesting count (definition time) and the argument checks (run time)

export interface IntrinsicCall {
  name: string;
  args: IntrinsicArg[];
}

export interface IntrinsicArg {
  /** the argument as written: a literal, a path, or a nested call */
  text: string;
  call?: IntrinsicCall;
}

const CALL_START = /^States\.[A-Za-z0-9]+\(/;

const skipSpaces = (text: string, i: number): number => {
  while (/\s/.test(text[i] ?? '')) i += 1;
  return i;
};

/** past the end of the quoted string starting at `i` (a backslash escapes the next character) */
function skipQuoted(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j += 1) {
    if (text[j] === '\\') j += 1;
    else if (text[j] === "'") return j + 1;
  }
  throw new SyntaxError(`unterminated string at ${i}`);
}

/** past a literal or a path: up to a ',' or ')' outside brackets, parentheses and quotes (JSONPath filters have all three) */
function skipBare(text: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < text.length) {
    const c = text[j];
    if (c === "'") {
      j = skipQuoted(text, j);
      continue;
    }
    if (c === '(' || c === '[') depth += 1;
    else if (c === ']' || c === ')') {
      if (depth === 0) break;
      depth -= 1;
    } else if (c === ',' && depth === 0) break;
    j += 1;
  }
  return j;
}

function parseCall(text: string, start: number): { call: IntrinsicCall; end: number } {
  const open = text.indexOf('(', start);
  const call: IntrinsicCall = { name: text.slice(start, open), args: [] };
  let i = skipSpaces(text, open + 1);
  if (text[i] === ')') return { call, end: i + 1 };
  for (;;) {
    i = skipSpaces(text, i);
    const argStart = i;
    let nested: IntrinsicCall | undefined;
    if (CALL_START.test(text.slice(i))) ({ call: nested, end: i } = parseCall(text, i));
    else i = text[i] === "'" ? skipQuoted(text, i) : skipBare(text, i);
    call.args.push({ text: text.slice(argStart, i).trim(), ...(nested ? { call: nested } : {}) });
    i = skipSpaces(text, i);
    if (text[i] === ',') {
      i += 1;
      continue;
    }
    if (text[i] === ')') return { call, end: i + 1 };
    throw new SyntaxError(`expected ',' or ')' at ${i} in ${text}`);
  }
}

/** The call tree of an intrinsic-function expression (`States.Format('{}', $.a)`); undefined for a path. */
export function parseIntrinsic(expression: string): IntrinsicCall | undefined {
  const text = expression.trim();
  if (!CALL_START.test(text)) return undefined;
  const { call, end } = parseCall(text, 0);
  if (skipSpaces(text, end) !== text.length) throw new SyntaxError(`unexpected text after the call in ${text}`);
  return call;
}

export const countCalls = (call: IntrinsicCall): number => 1 + call.args.reduce((n, a) => n + (a.call ? countCalls(a.call) : 0), 0);

/** every call of the tree, innermost first: an argument is checked before the call that uses it */
export const callsInnermostFirst = (call: IntrinsicCall): IntrinsicCall[] => [...call.args.flatMap((a) => (a.call ? callsInnermostFirst(a.call) : [])), call];

/** every `.$` field of a payload template (or a whole state) holding an intrinsic call, with its dotted path */
export function intrinsicFields(value: unknown, path = ''): Array<{ field: string; expression: string }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => intrinsicFields(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => {
    const field = path ? `${path}.${key}` : key;
    if (key.endsWith('.$') && typeof v === 'string' && CALL_START.test(v.trim())) return [{ field, expression: v }];
    return intrinsicFields(v, field);
  });
}

/**
 * Argument rules AWS states for the intrinsics that have limits (developer guide, "Intrinsic functions"); a violation
 * fails the execution with States.Runtime. Each rule answers the violation's message, or undefined.
 * - States.MathAdd / States.MathRandom: the math intrinsics take 32-bit signed integers (range -2147483648 ..
 *   2147483647). AWS rounds a non-integer argument to the nearest integer; this runtime rejects it instead (stricter:
 *   a definition green here never relies on the rounding). A MathAdd whose sum leaves the range fails on AWS too (a
 *   public conformance suite run against AWS, States.MathAdd cases MADD-011/012).
 * - States.Hash: input of at most 10,000 characters.
 * - States.ArrayRange: "The array can contain up to 1000 items".
 * The engine already rejects Hash and ArrayRange past their limits; the rules stand here so the runtime does not
 * depend on it.
 */
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const isInt32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;
const int32Violation = (name: string, args: unknown[]): string | undefined => {
  const bad = args.findIndex((a) => !isInt32(a));
  return bad < 0
    ? undefined
    : `The argument ${bad + 1} of ${name} must be an integer from ${INT32_MIN} to ${INT32_MAX}, but it is ${JSON.stringify(args[bad])}`;
};

export const INTRINSIC_ARGUMENT_RULES: Record<string, (args: unknown[]) => string | undefined> = {
  'States.MathAdd': (args) =>
    int32Violation('States.MathAdd', args) ??
    (isInt32((args[0] as number) + (args[1] as number))
      ? undefined
      : `The result of States.MathAdd(${args.join(', ')}) is outside the 32-bit integer range ${INT32_MIN} to ${INT32_MAX}`),
  'States.MathRandom': (args) => int32Violation('States.MathRandom', args),
  'States.Hash': ([input]) =>
    typeof input === 'string' && input.length > 10_000 ? `The input of States.Hash has ${input.length} characters; at most 10000 are allowed` : undefined,
  'States.ArrayRange': ([start, end, step]) => {
    if (typeof start !== 'number' || typeof end !== 'number' || typeof step !== 'number' || step === 0) return undefined;
    const items = Math.floor((end - start) / step) + 1;
    return items > 1000 ? `States.ArrayRange(${start}, ${end}, ${step}) would have ${items} items; at most 1000 are allowed` : undefined;
  },
};

/** true when a call tree uses an intrinsic that has argument rules */
export const usesCheckedIntrinsic = (call: IntrinsicCall): boolean => callsInnermostFirst(call).some((c) => c.name in INTRINSIC_ARGUMENT_RULES);

type States = Record<string, Record<string, unknown>>;
/** fields of a state that are not its own payload templates: nested machines (walked as states) and literal JSON */
const NOT_TEMPLATES = ['ItemProcessor', 'Iterator', 'Branches', 'Result'];

/** every state of a definition with its name, those of Map and Parallel states included */
export function allStates(states: States): Array<[string, Record<string, unknown>]> {
  return Object.entries(states).flatMap(([name, state]): Array<[string, Record<string, unknown>]> => {
    const nested = [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[] | undefined) ?? [])] as Array<{ States: States } | undefined>;
    return [[name, state], ...nested.filter((m): m is { States: States } => Boolean(m)).flatMap((m) => allStates(m.States))];
  });
}

/**
 * Definition-time checks, for CreateStateMachine: every intrinsic field of every state (Parameters, ResultSelector,
 * ItemSelector, Assign, … of states inside Map and Parallel states too) must parse and nest at most 10 calls.
 * Answers the first violation's message, naming the state and the field.
 */
export function intrinsicDefinitionViolation(states: States): string | undefined {
  for (const [stateName, state] of allStates(states)) {
    const own = Object.fromEntries(Object.entries(state).filter(([key]) => !NOT_TEMPLATES.includes(key)));
    for (const { field, expression } of intrinsicFields(own)) {
      let call: IntrinsicCall | undefined;
      try {
        call = parseIntrinsic(expression);
      } catch (error) {
        return `The value for the field '${field}' of state '${stateName}' must be a valid intrinsic function call: ${(error as Error).message}`;
      }
      const calls = call ? countCalls(call) : 0;
      if (calls > MAX_INTRINSICS_PER_FIELD) {
        return `The field '${field}' of state '${stateName}' nests ${calls} intrinsic functions; at most ${MAX_INTRINSICS_PER_FIELD} are allowed`;
      }
    }
  }
  return undefined;
}
