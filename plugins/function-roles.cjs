'use strict';

/**
 * Local Serverless (osls) plugin: one IAM role per function, from a compact spec (custom.functionRoles, written in
 * resources/function-roles.yml): `<function>: [statement…]`. Each function's role `<Function>Role` is assumed by
 * Lambda only, may write its own log group (`<Function>LogGroup`) and has exactly the statements listed, one inline
 * policy named after the function. A statement is `{ allow: action(s), on: resource(s) }` or a full IAM statement
 * (with a Condition, say). Least privilege stays per function; the boilerplate is written once, here.
 */
const { templatePlugin } = require('./template-plugin.cjs');

const pascal = (name) => name[0].toUpperCase() + name.slice(1);
const kebab = (name) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** @param {unknown} value */
function parseFunctionRoles(value) {
  const where = 'custom.functionRoles';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where} must map each function to its statements`);
  for (const [fn, statements] of Object.entries(value)) {
    if (!Array.isArray(statements)) throw new Error(`${where}.${fn} must be a list of statements`);
    for (const statement of statements) {
      const short = statement && 'allow' in statement && 'on' in statement && Object.keys(statement).length === 2;
      const full = statement?.Effect && statement.Action && statement.Resource;
      if (!short && !full) throw new Error(`${where}.${fn}: ${JSON.stringify(statement)} is neither { allow, on } nor an IAM statement`);
    }
  }
  return value;
}

const statementOf = (s) => ('allow' in s ? { Effect: 'Allow', Action: s.allow, Resource: s.on } : s);

function addFunctionRoles(template, spec) {
  for (const [fn, statements] of Object.entries(spec)) {
    const id = `${pascal(fn)}Role`;
    if (template.Resources[id]) throw new Error(`the template already has a resource ${id}`);
    if (!template.Resources[`${pascal(fn)}LambdaFunction`]) throw new Error(`custom.functionRoles names ${fn}, which is no function of the service`);
    template.Resources[id] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        Policies: [
          {
            PolicyName: kebab(fn),
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [`${pascal(fn)}LogGroup`, 'Arn'] } },
                ...statements.map(statementOf),
              ],
            },
          },
        ],
      },
    };
  }
}

module.exports = templatePlugin({ customKey: 'functionRoles', parse: parseFunctionRoles, addToTemplate: addFunctionRoles, errorCode: 'FUNCTION_ROLES' });
module.exports.parseFunctionRoles = parseFunctionRoles;
module.exports.addFunctionRoles = addFunctionRoles;
