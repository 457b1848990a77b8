/**
 * The allowlist written once: the `cliAllowlist` variant (shared package: test/support/template/package.ts) takes it
 * from --param="allowedBuckets=a,b" instead of the stage's params, and every S3 ARN, the functions' ALLOWED_BUCKETS
 * and the deadline rule's matchers follow it (cfn-lint runs on it in both-variants.test.ts). A stage without an
 * allowlist, or with a malformed one, does not package: one line names allowedBuckets and gives an example. The
 * same variant names KMS keys (--param="kmsKeyArns=…"): the roles that call ListParts may decrypt with those only.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { LIST_PARTS_ROLES, kmsDecrypt, statementsOf } from '../support/template/iam-spec.ts';
import { CLI_ALLOWLIST, CLI_KMS_KEYS, PACKAGE_WAIT_MS, packagedStack, runOsls, type PackagedStack } from '../support/template/package.ts';
import { REGION, allowedBuckets } from '../support/template/stack.ts';

let stacks: { params: PackagedStack; cli: PackagedStack };
beforeAll(async () => {
  stacks = { params: await packagedStack(), cli: await packagedStack('cliAllowlist') };
}, PACKAGE_WAIT_MS);

/** every resource of every statement that grants an s3: action, in `partition` */
function s3Resources(stack: PackagedStack, partition: string): string[] {
  return (
    stack
      .ofType('AWS::IAM::Role')
      .flatMap(([roleId]) => statementsOf(stack.template, stack.resolve, roleId, partition))
      .filter((statement) => statement.Action.some((action) => action.startsWith('s3:')))
      // ListBuckets has no resource but '*' (the debt scan's; iam.test.ts allows it to that role alone)
      .filter((statement) => statement.Action.join() !== 's3:ListAllMyBuckets')
      .flatMap((statement) => statement.Resource)
      // the stack's own bucket of page intents (lib/sweep/intent.ts) is no user bucket
      .filter((resource) => !resource.startsWith('GetAtt(SweepIntentsBucket.Arn)'))
  );
}
const armsOf = (patterns: string[], partition: string) =>
  [...patterns.map((p) => `arn:${partition}:s3:::${p}`), ...patterns.map((p) => `arn:${partition}:s3:::${p}/*`)].sort();

describe('allowlist', () => {
  it.each(['aws', 'aws-cn', 'aws-us-gov'])('scopes every S3 statement to the allowlist given, in the params or on the command line (%s)', (partition) => {
    const cliPatterns = CLI_ALLOWLIST.split(',');
    for (const [stack, patterns] of [
      [stacks.params, allowedBuckets],
      [stacks.cli, cliPatterns],
    ] as const) {
      const resources = s3Resources(stack, partition);
      expect(resources.length).toBeGreaterThan(0);
      expect([...new Set(resources)].sort()).toEqual(armsOf([...patterns], partition));
    }
  });

  it('gives the functions and the deadline rule the same list', () => {
    const { template, resolve } = stacks.cli;
    for (const fn of ['CreateAbort', 'CreateSweep', 'PrepareRun']) {
      expect(resolve(template.Resources[`${fn}LambdaFunction`].Properties).Environment.Variables.ALLOWED_BUCKETS, fn).toBe(CLI_ALLOWLIST);
    }
    const rule = template.Resources.AbortAfterDeadlineEventsRuleCloudWatchEvent1;
    expect((rule.Properties.EventPattern as { detail: { requestParameters: unknown } }).detail.requestParameters).toEqual({
      bucketName: ['my-logs', { prefix: 'my-data-' }],
    });
  });

  it('narrows kms:Decrypt to the key ARNs of the param kmsKeyArns, still through S3 only', () => {
    const { template, resolve } = stacks.cli;
    for (const roleId of LIST_PARTS_ROLES) {
      const kms = statementsOf(template, resolve, roleId).filter((s) => s.Action.includes('kms:Decrypt'));
      expect(kms, roleId).toEqual([kmsDecrypt('aws', CLI_KMS_KEYS.split(',').sort())]);
    }
  });

  it.each([
    ['a stage without allowedBuckets', ['--stage', 'nolist'], /allowedBuckets is not set for stage "nolist"/],
    ['a malformed allowedBuckets', ['--stage', 'test', '--param=allowedBuckets=my-logs,My_Data'], /allowedBuckets: "My_Data" is neither/],
  ])(
    '%s stops the package with one line naming allowedBuckets and an example',
    async (_, args, message) => {
      const run = await runOsls(['package', ...args, '--region', REGION, '--package', '/nonexistent/never-written']);
      expect(run.status).not.toBe(0);
      const lines = run.output.split('\n').filter((line) => line.includes('allowedBuckets'));
      expect(lines, run.output).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(lines[0]).toContain('--param="allowedBuckets=my-logs,my-data-*"');
    },
    60_000,
  );
});
