'use strict';

/**
 * Local Serverless (osls) plugin: the bus the request rules ("Abort Multipart Upload Requested", "Sweep Requested")
 * listen on. Anyone allowed events:PutEvents on the account's default bus could start aborts through them; by
 * default the stack has a bus of its own whose resource policy names who may put events (stage param eventPutters:
 * principal ARNs; default the account root, i.e. whoever the account's IAM policies allow). When eventPutters names
 * principals, the policy also denies PutEvents to every other principal: a same-account caller is otherwise
 * allowed by its identity policy alone. `eventBus: default` keeps the rules on the default bus (no bus, no policy).
 * AWS services' events (CloudTrail's uploads, Step Functions' status changes) only reach the default bus: those
 * rules stay there.
 *
 * Configuration (serverless.yml custom.eventBus): { bus: own|default, putters: [arn…] | "arn,arn" | '', rules: [logical id…] }
 * Adds RequestsEventBus (own only), sets EventBusName on the rules, and the output EventBusName.
 */
const { templatePlugin } = require('./template-plugin.cjs');

const BUS_ID = 'RequestsEventBus';
const PRINCIPAL = /^arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/;

/** @param {unknown} value */
function parseEventBusOptions(value) {
  const { bus, putters = '', rules } = /** @type {Record<string, any>} */ (value ?? {});
  if (bus !== 'own' && bus !== 'default') throw new Error(`eventBus must be "own" or "default" (stage param eventBus), not ${JSON.stringify(bus)}`);
  const list = (typeof putters === 'string' ? putters.split(',') : Array.isArray(putters) ? putters : [putters])
    .map((p) => (typeof p === 'string' ? p.trim() : p))
    .filter((p) => p !== '');
  for (const p of list) {
    if (typeof p !== 'string' || !PRINCIPAL.test(p)) {
      throw new Error(
        `eventPutters: ${JSON.stringify(p)} is not an IAM role, user or account root ARN, e.g. --param="eventPutters=arn:aws:iam::111122223333:role/ops"`,
      );
    }
  }
  if (!Array.isArray(rules) || rules.length === 0 || !rules.every((id) => typeof id === 'string'))
    throw new Error("custom.eventBus.rules must list the rules' logical ids");
  return { bus, putters: list, rules };
}

/** the bus's resource policy: the putters (default the account) may PutEvents; with named putters, nobody else */
function busPolicy(busName, putters) {
  // by name: a Ref or GetAtt of the bus inside its own Policy would be a circular dependency
  const bus = { 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${busName}` };
  const principals = putters.length > 0 ? putters : [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' }];
  const statements = [{ Sid: 'PutRequests', Effect: 'Allow', Principal: { AWS: principals }, Action: 'events:PutEvents', Resource: bus }];
  if (putters.length > 0) {
    statements.push({
      Sid: 'OnlyNamedPutters',
      Effect: 'Deny',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: bus,
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': putters } },
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}

function addEventBus(template, options, names) {
  for (const id of options.rules) {
    if (template.Resources[id]?.Type !== 'AWS::Events::Rule') throw new Error(`custom.eventBus.rules names ${id}, which is no rule of the template`);
  }
  template.Outputs ??= {};
  if (options.bus === 'default') {
    template.Outputs.EventBusName = { Description: 'the bus abort and sweep requests are put on', Value: 'default' };
    return;
  }
  if (template.Resources[BUS_ID]) throw new Error(`the template already has a resource ${BUS_ID}`);
  const name = `${names.service}-${names.stage}`;
  template.Resources[BUS_ID] = { Type: 'AWS::Events::EventBus', Properties: { Name: name, Policy: busPolicy(name, options.putters) } };
  for (const id of options.rules) template.Resources[id].Properties.EventBusName = { Ref: BUS_ID };
  template.Outputs.EventBusName = { Description: 'the bus abort and sweep requests are put on (PutEvents EventBusName)', Value: { Ref: BUS_ID } };
}

module.exports = templatePlugin({ customKey: 'eventBus', parse: parseEventBusOptions, addToTemplate: addEventBus, errorCode: 'EVENT_BUS' });
module.exports.parseEventBusOptions = parseEventBusOptions;
module.exports.busPolicy = busPolicy;
