/** plugins/function-roles.cjs: one role per function from the compact spec (the packaged roles: test/template/iam.test.ts). */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
const plugin = createRequire(import.meta.url)('../../plugins/function-roles.cjs') as {
  parseFunctionRoles: (value: unknown) => Record<string, unknown[]>;
  addFunctionRoles: (template: Template, spec: Record<string, unknown[]>) => void;
};
const withFunction = (): Template => ({ Resources: { GetAbortLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: {} } } });

describe('function roles', () => {
  it('gives a function a Lambda-only role with its own logs and exactly its statements', () => {
    const t = withFunction();
    const kms = { Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 's3.x' } } };
    plugin.addFunctionRoles(t, plugin.parseFunctionRoles({ getAbort: [{ allow: 'dynamodb:GetItem', on: 'T' }, kms] }));
    expect(t.Resources.GetAbortRole).toEqual({
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        Policies: [
          {
            PolicyName: 'get-abort',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': ['GetAbortLogGroup', 'Arn'] } },
                { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'T' },
                kms,
              ],
            },
          },
        ],
      },
    });
  });

  it.each([
    [[], /must map each function/],
    [{ getAbort: 'x' }, /getAbort must be a list/],
    [{ getAbort: [{ allow: 'a' }] }, /neither \{ allow, on \} nor an IAM statement/],
  ])('refuses %j', (spec, message) => {
    expect(() => plugin.parseFunctionRoles(spec)).toThrow(message);
  });

  it('refuses a function the service does not have', () => {
    expect(() => plugin.addFunctionRoles(withFunction(), { nope: [] })).toThrow(/names nope, which is no function/);
  });
});
