/**
 * The managed policy the stack outputs for people who run the CLI against it (shared package:
 * test/support/template/package.ts): exactly what lib/cli calls, on this stack's resources only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { allow, sortStatements, type Statement } from '../support/template/iam-spec.ts';
import { PACKAGE_WAIT_MS, packagedStack, type PackagedStack } from '../support/template/package.ts';
import { ACCOUNT, REGION, ROOT, TABLE_ARN, asArray, executionsOf, sm } from '../support/template/stack.ts';

let stack: PackagedStack;
beforeAll(async () => {
  stack = await packagedStack();
}, PACKAGE_WAIT_MS);

/** the SDK commands of lib/cli, each as the IAM action it needs */
const ACTION_OF: Record<string, string> = {
  DescribeStacksCommand: 'cloudformation:DescribeStacks',
  StartExecutionCommand: 'states:StartExecution',
  DescribeExecutionCommand: 'states:DescribeExecution',
  StopExecutionCommand: 'states:StopExecution',
  GetCommand: 'dynamodb:GetItem',
  BatchGetCommand: 'dynamodb:BatchGetItem',
  QueryCommand: 'dynamodb:Query',
};

describe('packaged template: the CLI users policy', () => {
  const policy = (): Statement[] => {
    const { PolicyDocument } = stack.resolve(stack.template.Resources.CliUserPolicy.Properties);
    return sortStatements(
      (PolicyDocument.Statement as Array<{ Effect: string; Action: string | string[]; Resource: string | string[] }>).map((s) => ({
        Effect: s.Effect,
        Action: asArray(s.Action).sort(),
        Resource: asArray(s.Resource).sort(),
      })),
    );
  };

  it('allows what the CLI calls and the API, on this stack only, and is an output', () => {
    expect(stack.template.Resources.CliUserPolicy.Type).toBe('AWS::IAM::ManagedPolicy');
    expect(policy()).toEqual(
      sortStatements([
        allow(['cloudformation:DescribeStacks'], [`arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Ref(AWS::StackName)/*`]),
        allow(['execute-api:Invoke'], [`arn:aws:execute-api:${REGION}:${ACCOUNT}:Ref(ApiGatewayRestApi)/*`]),
        allow(['states:StartExecution'], [`Ref(${sm('abortUpload').id})`, `Ref(${sm('sweepUploads').id})`]),
        allow(['states:DescribeExecution'], [executionsOf('abortUpload'), executionsOf('sweepUploads')]),
        allow(['states:StopExecution'], [executionsOf('sweepUploads')]),
        allow(['dynamodb:GetItem', 'dynamodb:BatchGetItem'], [TABLE_ARN]),
        allow(['dynamodb:Query'], [`${TABLE_ARN}/index/byShardStartedAt`, `${TABLE_ARN}/index/byStatusShard`]),
      ]),
    );
    expect(stack.template.Outputs.CliPolicyArn.Value).toEqual({ Ref: 'CliUserPolicy' });
  });

  it('covers every AWS call lib/cli makes (a new call fails here until the policy grants it)', () => {
    const dir = join(ROOT, 'lib', 'cli');
    // not the stack's: local deploy and seed talk to the local endpoint only; scan and lifecycle read (lifecycle --apply
    // writes) the caller's own buckets with the caller's own permissions (docs/scan-and-prevent.md, "Permissions")
    const stackless = ['local-deploy.ts', 'seed.ts', 'scan.ts', 'lifecycle.ts'];
    const commands = new Set(
      readdirSync(dir)
        .filter((file) => file.endsWith('.ts') && !stackless.includes(file))
        .flatMap((file) => [...readFileSync(join(dir, file), 'utf8').matchAll(/\bnew (\w+Command)\(/g)].map((m) => m[1])),
    );
    const granted = new Set(policy().flatMap((s) => s.Action));
    for (const command of commands) {
      expect(ACTION_OF[command], `${command}: add its action to ACTION_OF and to CliUserPolicy`).toBeDefined();
      expect(granted.has(ACTION_OF[command]), command).toBe(true);
    }
  });
});
