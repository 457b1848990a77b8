/**
 * The packaged `test` stage's records table and REST API (shared package: test/support/template/package.ts): the
 * table's keys and protection, the routes, and what waits for the stage. The stage and its throttling are checked in
 * both packaged variants in both-variants.test.ts, serverless.yml's custom.apiThrottling unpackaged in
 * definitions.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { recordsTableDefinition } from '../../lib/records.ts';
import type { Resolve } from '../support/template/intrinsics.ts';
import { PACKAGE_WAIT_MS, packagedStack, type PackagedStack } from '../support/template/package.ts';
import { ACCOUNT, FUNCTIONS, REGION, STAGE, asArray, type Json, type JsonObject, type Template } from '../support/template/stack.ts';

let template: Template;
let resolve: Resolve;
let ofType: PackagedStack['ofType'];
beforeAll(async () => {
  ({ template, resolve, ofType } = await packagedStack());
}, PACKAGE_WAIT_MS);

describe('packaged template: records table', () => {
  it('has the keys and indexes the local stack creates (lib/records.ts)', () => {
    const table = template.Resources.RecordsTable;
    const expected = recordsTableDefinition('unused');
    const byName = <T extends { AttributeName?: string; IndexName?: string }>(list: T[]) =>
      [...list].sort((a, b) => String(a.AttributeName ?? a.IndexName).localeCompare(String(b.AttributeName ?? b.IndexName)));
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.KeySchema).toEqual(expected.KeySchema);
    expect(byName(table.Properties.AttributeDefinitions as never)).toEqual(byName(expected.AttributeDefinitions as never));
    expect(byName(table.Properties.GlobalSecondaryIndexes as never)).toEqual(byName(expected.GlobalSecondaryIndexes as never));
  });

  it('expires records by TTL, keeps point-in-time recovery, encrypts, and survives stack removal', () => {
    const table = template.Resources.RecordsTable;
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });
});

describe('packaged template: API', () => {
  it('serves the six routes with IAM authorisation, each through its own function', () => {
    const paths = Object.fromEntries(ofType('AWS::ApiGateway::Resource').map(([id, r]) => [id, r]));
    const pathOf = (resourceId: Json): string => {
      const ref = (resourceId as JsonObject).Ref as string | undefined;
      if (!ref) return '';
      const resource = paths[ref];
      return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart as string}`;
    };
    const routes = Object.fromEntries(
      ofType('AWS::ApiGateway::Method').map(([, method]) => {
        expect(method.Properties.AuthorizationType).toBe('AWS_IAM');
        const uri = JSON.stringify(method.Properties.Integration);
        const target = Object.values(FUNCTIONS).find((fn) => uri.includes(`"${fn.id}LambdaFunction"`));
        return [`${method.Properties.HttpMethod as string} ${pathOf(method.Properties.ResourceId)}`, target?.id];
      }),
    );
    expect(routes).toEqual(
      Object.fromEntries(
        Object.values(FUNCTIONS)
          .filter((fn) => fn.route)
          .map((fn) => [fn.route, fn.id]),
      ),
    );
  });

  it('refers to the stage only where it exists by then: the URL outputs, and Lambda permissions for any stage', () => {
    const stageName = template.Resources.ApiGatewayStage.Properties.StageName;
    expect(resolve(template.Outputs.ApiUrl.Value)).toBe(`https://Ref(ApiGatewayRestApi).execute-api.${REGION}.amazonaws.com/${stageName as string}`);
    // the API's invoke permissions name every stage (…/<api>/*/*): they do not wait for the stage
    const permissions = ofType('AWS::Lambda::Permission').filter(([, p]) => p.Properties.Principal === 'apigateway.amazonaws.com');
    expect(permissions).toHaveLength(Object.values(FUNCTIONS).filter((fn) => fn.route).length);
    for (const [id, permission] of permissions) {
      expect(resolve(permission.Properties.SourceArn), id).toBe(`arn:aws:execute-api:${REGION}:${ACCOUNT}:Ref(ApiGatewayRestApi)/*/*`);
    }
    // whatever waited for the deployment (it used to create the stage) now waits for the stage too
    const [[deploymentId]] = ofType('AWS::ApiGateway::Deployment');
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (id !== 'ApiGatewayStage' && asArray(resource.DependsOn ?? []).includes(deploymentId))
        expect(asArray(resource.DependsOn ?? []), id).toContain('ApiGatewayStage');
    }
    // a resource that names the stage (a string equal to it, or a path segment /<stage>) waits for it; names that
    // merely contain the stage ("<service>-<stage>-…") do not count, nor the code's S3 key (serverless/…/<stage>/…)
    const unordered = Object.entries(template.Resources)
      .filter(([id]) => id !== 'ApiGatewayStage')
      .filter(([, r]) =>
        JSON.stringify(resolve(r.Type === 'AWS::Lambda::Function' ? { ...r.Properties, Code: null } : r.Properties)).match(
          new RegExp(`"${STAGE}"|/${STAGE}(?:/|")`),
        ),
      )
      .filter(([, r]) => !asArray(r.DependsOn ?? []).includes('ApiGatewayStage'))
      .map(([id]) => id);
    expect(unordered).toEqual([]);
  });
});
