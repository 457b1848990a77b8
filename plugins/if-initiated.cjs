'use strict';

/**
 * Local Serverless (osls) plugin: abort-upload's "Abort upload (if initiated then)" state sends IfMatchInitiatedTime
 * (directory buckets) through Step Functions' aws-sdk:s3 integration. Step Functions validates an SDK task's
 * parameters when the state machine is created ("SCHEMA_VALIDATION_FAILED: The field … is not supported by Step
 * Functions") and it is not confirmed that its S3 model knows that field: one unknown field would fail the whole
 * deploy. So the state is packaged only when the stage param `ifMatchInitiatedTime` is true (custom.ifMatchInitiatedTime).
 * Off (the default), the packaged definition has no IfMatchInitiatedTime at all: the `ifInitiated` variant goes to a
 * Pass state that records FAILED with the reason and sends no abort (an abort without the precondition the request
 * asked for would not be the abort the operator intended). The ASL file and the local stack keep the full variant.
 */
const { templatePlugin } = require('./template-plugin.cjs');

const MACHINE_ID = 'AbortUploadStateMachine';
const STATE = 'Abort upload (if initiated then)';
/** not "Abort upload…": the progress displays count states of that prefix as aborts sent (lib/state-names.ts) */
const REFUSED = 'IfMatchInitiatedTime not enabled';
const REFUSAL = {
  Type: 'Pass',
  Comment: 'This stage does not send IfMatchInitiatedTime (stage param ifMatchInitiatedTime): nothing is aborted',
  Result: {
    status: 'FAILED',
    error: 'IfMatchInitiatedTimeNotEnabled',
    cause:
      'The request sets ifMatchInitiatedTime, which this stack does not send (deploy with --param="ifMatchInitiatedTime=true" to enable it); nothing was aborted.',
  },
  ResultPath: '$.outcome',
  Next: 'Record outcome',
};

/** @param {unknown} value */
function parseIfInitiated(value) {
  if (typeof value !== 'boolean')
    throw new Error(`custom.ifMatchInitiatedTime must be true or false (the stage param ifMatchInitiatedTime), not ${JSON.stringify(value)}`);
  return value;
}

/** the states a state can go to next: Next, a Choice's choices and Default, a Catch's */
const nextOf = (state) => [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next), ...(state.Catch ?? []).map((c) => c.Next)].filter(Boolean);

/** the definition's states reachable from StartAt (what the removed state alone led to goes with it) */
function reachable(definition) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name) || !definition.States[name]) return;
    seen.add(name);
    for (const next of nextOf(definition.States[name])) visit(next);
  };
  visit(definition.StartAt);
  return { ...definition, States: Object.fromEntries(Object.entries(definition.States).filter(([name]) => seen.has(name))) };
}

/** the definition without IfMatchInitiatedTime: the variant's Choice leads to the refusal instead */
function withoutIfInitiated(definition) {
  if (!definition.States[STATE]) throw new Error(`${MACHINE_ID} has no state "${STATE}"`);
  const states = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (name === STATE) states[REFUSED] = REFUSAL;
    else if (state.Type === 'Choice')
      states[name] = { ...state, Choices: state.Choices.map((choice) => (choice.Next === STATE ? { ...choice, Next: REFUSED } : choice)) };
    else states[name] = state;
  }
  return reachable({ ...definition, States: states });
}

function applyIfInitiated(template, enabled) {
  if (enabled) return;
  const machine = template.Resources[MACHINE_ID];
  if (!machine || typeof machine.Properties.DefinitionString !== 'string') throw new Error(`${MACHINE_ID} has no DefinitionString to adjust`);
  machine.Properties.DefinitionString = JSON.stringify(withoutIfInitiated(JSON.parse(machine.Properties.DefinitionString)), null, 2);
}

module.exports = templatePlugin({
  customKey: 'ifMatchInitiatedTime',
  parse: parseIfInitiated,
  addToTemplate: applyIfInitiated,
  errorCode: 'IF_MATCH_INITIATED_TIME',
});
module.exports.withoutIfInitiated = withoutIfInitiated;
module.exports.REFUSED_STATE = REFUSED;
