/**
 * AWS's cfn-lint, when it is installed, on both packaged variants of the `test` stage (shared package:
 * test/support/template/package.ts).
 */
import { describe, expect, it } from 'vitest';
import { cfnLint } from '../support/template/cfn-lint.ts';
import { PACKAGE_WAIT_MS, VARIANTS, packagedStack, type Variant } from '../support/template/package.ts';
import { FUNCTIONS } from '../support/template/stack.ts';

/**
 * Findings accepted on purpose: W3005 "dependency already enforced by a GetAtt" on each function's DependsOn of
 * its role. The framework writes that DependsOn itself whenever `role:` names a resource; it is redundant, not
 * wrong, and serverless.yml cannot remove it.
 */
const ACCEPTED_FINDINGS = Object.values(FUNCTIONS).map((fn) => ({ rule: 'W3005', resource: `${fn.id}LambdaFunction`, dependsOn: `${fn.id}Role` }));

describe('packaged template: cfn-lint', () => {
  it.each(Object.keys(VARIANTS) as Variant[])('%s variant (default: the stage as defined; switchedOn: deadlines and schedule on) has no findings but the accepted ones', async (variant) => {
    const name = [variant, ...VARIANTS[variant]].join(' ');
    const lint = await cfnLint((await packagedStack(variant)).dir);
    // 127: a pyenv shim for a Python without cfn-lint
    if (lint.error?.code === 'ENOENT' || lint.status === 127) {
      console.warn('cfn-lint not on PATH: template not linted');
      return;
    }
    if (lint.error) throw lint.error;
    // exit status: a bit mask, 2 errors, 4 warnings, 8 informational; 1 means cfn-lint itself failed
    expect(lint.status === 1, `${name}: ${lint.stderr}`).toBe(false);
    const findings = JSON.parse(lint.stdout || '[]') as Array<{ Level: string; Message: string; Rule: { Id: string }; Location: { Path: Array<string | number> } }>;
    const unexpected = findings.filter((finding) => !ACCEPTED_FINDINGS.some((accepted) =>
      finding.Rule.Id === accepted.rule && finding.Location.Path[1] === accepted.resource && finding.Message.includes(`'${accepted.dependsOn}'`)));
    expect(unexpected.map((f) => `${f.Rule.Id} ${f.Location.Path.join('/')}: ${f.Message}`), name).toEqual([]);
    expect([0, 4]).toContain(lint.status);
  }, PACKAGE_WAIT_MS + 120_000);
});
