/**
 * CreateStateMachine rules AWS enforces on a definition, and the state machine types.
 */
import { describe, expect, it } from 'vitest';
import { LocalStepFunctions, SfnApiError } from '../../emulator/runtime.ts';
import { TaskDispatcher } from '../../emulator/dispatcher.ts';

const runtime = () => new LocalStepFunctions({ dispatcher: new TaskDispatcher({ endpoint: 'http://127.0.0.1:1' }) });

/** `n` intrinsic calls nested in one expression: States.MathAdd(States.MathAdd(…($.n, 1)…, 1), 1) */
const nested = (n: number): string => Array.from({ length: n - 1 }).reduce<string>((inner) => `States.MathAdd(${inner}, 1)`, 'States.MathAdd($.n, 1)');

const passWith = (parameters: object) => JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', Parameters: parameters, End: true } } });

const createError = (definition: string): SfnApiError => {
  try {
    runtime().createStateMachine({ name: 'm', definition });
  } catch (error) {
    return error as SfnApiError;
  }
  throw new Error('createStateMachine accepted the definition');
};

// Source: developer guide, "Intrinsic functions": "You can nest up to 10 intrinsic functions within a field in your
// workflows." Its example with States.Format, four States.ArrayGetItem and four States.StringSplit is "nine nested":
// the limit counts every call in the field.
describe('at most 10 intrinsic functions in one field (CreateStateMachine → InvalidDefinition)', () => {
  it('accepts 10 nested calls in a field', () => {
    expect(() => runtime().createStateMachine({ name: 'm', definition: passWith({ 'n.$': nested(10) }) })).not.toThrow();
  });

  it("accepts AWS's own nine-call example", () => {
    const part = (i: number) => `States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), ${i})`;
    const myArn = `States.Format('{}.{}.{}', ${part(0)}, ${part(1)})`;
    expect(() => runtime().createStateMachine({ name: 'm', definition: passWith({ 'myArn.$': myArn }) })).not.toThrow();
  });

  it('rejects 11 calls in a Parameters field, naming the state and the field', () => {
    const error = createError(passWith({ deep: { 'n.$': nested(11) } }));
    expect(error).toBeInstanceOf(SfnApiError);
    expect(error.code).toBe('InvalidDefinition');
    expect(error.message).toContain("'Parameters.deep.n.$' of state 'P' nests 11 intrinsic functions");
  });

  it('counts calls side by side too, not only depth (11 calls, depth 2)', () => {
    const wide = `States.Array(${Array.from({ length: 10 }, (_, i) => `States.MathAdd($.n, ${i})`).join(', ')})`;
    expect(createError(passWith({ 'a.$': wide })).message).toMatch(/nests 11 intrinsic functions/);
  });

  it("leaves a Pass state's Result alone: it is literal JSON, not a template", () => {
    const definition = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', Result: { 'n.$': nested(11) }, End: true } } });
    expect(() => runtime().createStateMachine({ name: 'm', definition })).not.toThrow();
  });

  it('does not count a "States.X(" inside a string literal', () => {
    const literal = `States.Format('${'States.Array( '.repeat(12)}{}', $.n)`;
    expect(() => runtime().createStateMachine({ name: 'm', definition: passWith({ 'a.$': literal }) })).not.toThrow();
  });

  const machine = (name: string, state: object) => ({ StartAt: name, States: { [name]: { ...state, End: true } } });
  const tooDeep = { 'x.$': nested(11) };
  it.each([
    [
      'a Task ResultSelector',
      machine('T', { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', ResultSelector: { 'r.$': nested(11) } }),
      'ResultSelector.r.$',
      'T',
    ],
    [
      'a Map ItemSelector',
      machine('M', { Type: 'Map', ItemSelector: { 'i.$': nested(11) }, ItemProcessor: machine('I', { Type: 'Pass' }) }),
      'ItemSelector.i.$',
      'M',
    ],
    [
      'a state inside a Map ItemProcessor',
      machine('M', { Type: 'Map', ItemProcessor: machine('Inner', { Type: 'Pass', Parameters: tooDeep }) }),
      'Parameters.x.$',
      'Inner',
    ],
    ['a state inside a Map Iterator', machine('M', { Type: 'Map', Iterator: machine('It', { Type: 'Pass', Parameters: tooDeep }) }), 'Parameters.x.$', 'It'],
    [
      'a state inside a Parallel branch',
      machine('P', { Type: 'Parallel', Branches: [machine('B', { Type: 'Pass', Parameters: { 'list[0]': [tooDeep] } })] }),
      'Parameters.list[0][0].x.$',
      'B',
    ],
  ])('rejects it in %s', (_where, definition, field, state) => {
    const error = createError(JSON.stringify(definition));
    expect(error.code).toBe('InvalidDefinition');
    expect(error.message).toContain(`'${field}' of state '${state}' nests 11`);
  });

  it('rejects a field that is not a valid intrinsic call', () => {
    expect(createError(passWith({ 'a.$': "States.Format('unterminated, $.n)" })).code).toBe('InvalidDefinition');
  });
});

// Source: API reference, CreateStateMachine: "type: Determines whether a Standard or Express state machine is
// created. The default is STANDARD. You cannot update the type of a state machine once it has been created."
describe('state machine types', () => {
  const definition = passWith({ a: 1 });

  it('defaults to STANDARD and reports the type in DescribeStateMachine and ListStateMachines', () => {
    const local = runtime();
    const { stateMachineArn } = local.createStateMachine({ name: 'standard', definition, roleArn: 'arn:aws:iam::123456789012:role/r' });
    local.createStateMachine({ name: 'express', definition, type: 'EXPRESS' });
    expect(local.describeStateMachine(stateMachineArn).type).toBe('STANDARD');
    expect(local.listStateMachines().map((m) => [m.name, m.type])).toEqual([
      ['standard', 'STANDARD'],
      ['express', 'EXPRESS'],
    ]);
  });

  it('keeps the type when the same name is created again without one, and refuses to change it', () => {
    const local = runtime();
    const { stateMachineArn } = local.createStateMachine({ name: 'express', definition, type: 'EXPRESS' });
    local.createStateMachine({ name: 'express', definition });
    expect(local.describeStateMachine(stateMachineArn).type).toBe('EXPRESS');
    expect(() => local.createStateMachine({ name: 'express', definition, type: 'STANDARD' })).toThrow(
      expect.objectContaining({ code: 'StateMachineAlreadyExists' }),
    );
  });

  it('refuses an unknown type', () => {
    expect(() => runtime().createStateMachine({ name: 'm', definition, type: 'FAST' as never })).toThrow(
      expect.objectContaining({ code: 'ValidationException' }),
    );
  });
});
