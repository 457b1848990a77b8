/**
 * The packaged `test` stage's IAM (shared package: test/support/template/package.ts): every role has exactly the
 * statements of the spec in test/support/template/iam-spec.ts, in every partition, and none on a wildcard.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { StateMachineKey } from '../../lib/settings.ts';
import { EXPECTED_ROLES, LIST_PARTS_ROLES, kmsDecrypt, sortStatements, statementsOf as statementsIn } from '../support/template/iam-spec.ts';
import type { Resolve } from '../support/template/intrinsics.ts';
import { PACKAGE_WAIT_MS, packagedStack, type PackagedStack } from '../support/template/package.ts';
import { ACCOUNT, REGION, STATE_MACHINES, sm, type Template } from '../support/template/stack.ts';

let template: Template;
let resolve: Resolve;
let ofType: PackagedStack['ofType'];
beforeAll(async () => {
  ({ template, resolve, ofType } = await packagedStack());
}, PACKAGE_WAIT_MS);
const statementsOf = (roleId: string, partition = 'aws') => statementsIn(template, resolve, roleId, partition);

describe('packaged template: IAM', () => {
  it.each(Object.keys(EXPECTED_ROLES))('%s has exactly the intended statements', (roleId) => {
    const expected = EXPECTED_ROLES[roleId];
    const role = resolve(template.Resources[roleId].Properties);
    const trust = role.AssumeRolePolicyDocument.Statement as Array<{ Effect: string; Principal: { Service: string }; Action: string }>;
    expect(trust).toHaveLength(1);
    expect(trust[0]).toMatchObject({ Effect: 'Allow', Principal: { Service: expected.service }, Action: 'sts:AssumeRole' });
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(statementsOf(roleId)).toEqual(sortStatements(expected.statements('aws')));
  });

  it.each(Object.keys(STATE_MACHINES) as StateMachineKey[])('lets Step Functions assume the %s role only for this account and that state machine', (key) => {
    const [trust] = resolve(template.Resources[sm(key).role].Properties).AssumeRolePolicyDocument.Statement;
    expect(trust.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
      ArnLike: { 'aws:SourceArn': `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${sm(key).name}` },
    });
    expect(template.Resources[sm(key).id].Properties.StateMachineName).toBe(sm(key).name);
  });

  it.each(['aws-cn', 'aws-us-gov'])('scopes S3 to the allowlist in the %s partition too', (partition) => {
    for (const roleId of ['AbortUploadStateMachineRole', 'SweepPageStateMachineRole', 'PrepareRunRole', 'SweepListRole', 'SweepLanesRole']) {
      expect(statementsOf(roleId, partition), roleId).toEqual(sortStatements(EXPECTED_ROLES[roleId].statements(partition)));
    }
  });

  it.each(['aws', 'aws-cn'])('lets every role that calls ListParts, and no other, kms:Decrypt through S3 in its region only (%s)', (partition) => {
    const callers = ofType('AWS::IAM::Role')
      .filter(([roleId]) => statementsOf(roleId, partition).some((s) => s.Action.includes('s3:ListMultipartUploadParts')))
      .map(([roleId]) => roleId);
    expect(callers.sort()).toEqual([...LIST_PARTS_ROLES].sort());
    for (const [roleId] of ofType('AWS::IAM::Role')) {
      const kms = statementsOf(roleId, partition).filter((s) => s.Action.some((action) => action.startsWith('kms:')));
      expect(kms, roleId).toEqual(LIST_PARTS_ROLES.includes(roleId) ? [kmsDecrypt(partition)] : []);
    }
  });

  it('grants no s3, dynamodb, states or lambda action on a wildcard resource (but ListBuckets, to the debt scan alone)', () => {
    // s3:ListAllMyBuckets has no resource type: '*' is its only resource. It shows bucket names, nothing more.
    const listBuckets = ofType('AWS::IAM::Role').flatMap(([roleId]) =>
      statementsOf(roleId).flatMap((s) => (s.Action.includes('s3:ListAllMyBuckets') ? [{ roleId, ...s }] : [])),
    );
    expect(listBuckets).toEqual([{ roleId: 'DebtScanRole', Effect: 'Allow', Action: ['s3:ListAllMyBuckets'], Resource: ['*'] }]);
    for (const partition of ['aws', 'aws-cn', 'aws-us-gov']) {
      for (const [roleId] of ofType('AWS::IAM::Role')) {
        for (const statement of statementsOf(roleId, partition)) {
          if (statement.Action.join() === 's3:ListAllMyBuckets') continue;
          if (!statement.Action.some((action) => /^(s3|dynamodb|states|lambda):/.test(action))) continue;
          expect(statement.Resource.length, roleId).toBeGreaterThan(0);
          for (const resource of statement.Resource) {
            expect(resource, `${roleId}: ${statement.Action.join(',')}`).not.toBe('*');
            expect(resource).not.toMatch(/^arn:[^:]+:s3:::\*/);
            expect(resource).not.toContain('arn:*');
            // only execution ARNs (Standard or Express) of one named state machine end in a wildcard
            if (resource.endsWith('*') && /^arn:[^:]+:states:/.test(resource)) expect(resource).toMatch(/:(execution|express):[^:*]+:\*$/);
          }
        }
      }
    }
  });
});
