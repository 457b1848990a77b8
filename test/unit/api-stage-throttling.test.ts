/**
 * plugins/api-stage-throttling.cjs (the local osls plugin that gives the REST API's stage its throttling):
 * validation of custom.apiThrottling, and the template rewrite on a small hand-made template.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

interface Limits {
  rateLimit: number;
  burstLimit: number;
}
type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string | string[] };
interface PluginModule {
  new (serverless: unknown): { hooks: Record<string, () => unknown> };
  parseThrottlingOptions: (value: unknown) => Limits;
  addThrottledStage: (template: { Resources: Record<string, Resource> }, stage: string, limits: Limits) => { deploymentId: string; dependents: string[] };
}
const plugin = createRequire(import.meta.url)('../../plugins/api-stage-throttling.cjs') as PluginModule;
const { parseThrottlingOptions, addThrottledStage } = plugin;

describe('api-stage-throttling: custom.apiThrottling', () => {
  it('accepts positive limits (a fractional rate, a whole burst)', () => {
    expect(parseThrottlingOptions({ rateLimit: 50, burstLimit: 100 })).toStrictEqual({ rateLimit: 50, burstLimit: 100 });
    expect(parseThrottlingOptions({ rateLimit: 0.5, burstLimit: 1 })).toStrictEqual({ rateLimit: 0.5, burstLimit: 1 });
  });

  it.each([
    ['missing', undefined, /custom\.apiThrottling is missing/],
    ['null', null, /custom\.apiThrottling is missing/],
    ['a number', 50, /must be an object with rateLimit and burstLimit/],
    ['a list', [50, 100], /must be an object/],
    ['without rateLimit', { burstLimit: 100 }, /custom\.apiThrottling\.rateLimit is missing/],
    ['without burstLimit', { rateLimit: 50 }, /custom\.apiThrottling\.burstLimit is missing/],
    ['a zero rate', { rateLimit: 0, burstLimit: 100 }, /rateLimit must be a positive number .*not 0/],
    ['a negative burst', { rateLimit: 50, burstLimit: -1 }, /burstLimit must be a positive number .*not -1/],
    ['a rate given as a string', { rateLimit: '50', burstLimit: 100 }, /rateLimit must be a positive number .*not "50"/],
    ['an infinite rate', { rateLimit: Number.POSITIVE_INFINITY, burstLimit: 100 }, /rateLimit must be a positive number/],
    ['a NaN burst', { rateLimit: 50, burstLimit: Number.NaN }, /burstLimit must be a positive number/],
    ['a fractional burst', { rateLimit: 50, burstLimit: 10.5 }, /burstLimit must be a whole number .*not 10\.5/],
    ['an unknown option', { rateLimit: 50, burstLimit: 100, rate: 5 }, /unknown option rate/],
  ])('rejects %s with a clear message', (_name, value, message) => {
    expect(() => parseThrottlingOptions(value)).toThrow(message);
  });

  it('reports a bad configuration as a ServerlessError before packaging starts', () => {
    class ServerlessError extends Error {}
    const serverless = {
      getProvider: () => ({ getStage: () => 'dev' }),
      classes: { Error: ServerlessError },
      service: { custom: { apiThrottling: { rateLimit: -5, burstLimit: 100 } }, provider: {} },
    };
    const instance = new plugin(serverless);
    expect(() => instance.hooks['before:package:initialize']()).toThrow(ServerlessError);
    expect(() => instance.hooks['before:package:initialize']()).toThrow(/rateLimit must be a positive number/);
  });
});

describe('api-stage-throttling: the template', () => {
  const LIMITS = { rateLimit: 50, burstLimit: 100 };
  const compiled = (): { Resources: Record<string, Resource> } => ({
    Resources: {
      ApiGatewayRestApi: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'dev-svc' } },
      ApiGatewayDeployment123: {
        Type: 'AWS::ApiGateway::Deployment',
        Properties: { RestApiId: { Ref: 'ApiGatewayRestApi' }, StageName: 'dev' },
        DependsOn: ['ApiGatewayMethodGet'],
      },
      ApiGatewayUsagePlan: {
        Type: 'AWS::ApiGateway::UsagePlan',
        Properties: { ApiStages: [{ ApiId: { Ref: 'ApiGatewayRestApi' }, Stage: 'dev' }] },
        DependsOn: 'ApiGatewayDeployment123',
      },
      Mapping: {
        Type: 'AWS::ApiGateway::BasePathMapping',
        Properties: { DomainName: 'api.example.com', RestApiId: { Ref: 'ApiGatewayRestApi' }, Stage: 'dev' },
      },
      Permission: { Type: 'AWS::Lambda::Permission', Properties: { SourceArn: { 'Fn::Sub': 'arn:aws:execute-api:us-east-1:1:${ApiGatewayRestApi}/*/*' } } },
    },
  });

  it('moves the stage from the deployment into ApiGatewayStage, and orders what needs the stage after it', () => {
    const template = compiled();
    expect(addThrottledStage(template, 'dev', LIMITS)).toStrictEqual({
      deploymentId: 'ApiGatewayDeployment123',
      dependents: ['ApiGatewayUsagePlan', 'Mapping'],
    });
    expect(template.Resources.ApiGatewayDeployment123.Properties).toStrictEqual({ RestApiId: { Ref: 'ApiGatewayRestApi' } });
    expect(template.Resources.ApiGatewayStage).toStrictEqual({
      Type: 'AWS::ApiGateway::Stage',
      Properties: {
        RestApiId: { Ref: 'ApiGatewayRestApi' },
        DeploymentId: { Ref: 'ApiGatewayDeployment123' },
        StageName: 'dev',
        TracingEnabled: true,
        MethodSettings: [{ ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }],
      },
    });
    expect(template.Resources.ApiGatewayUsagePlan.DependsOn).toStrictEqual(['ApiGatewayDeployment123', 'ApiGatewayStage']);
    expect(template.Resources.Mapping.DependsOn).toStrictEqual(['ApiGatewayStage']);
    expect(template.Resources.Permission.DependsOn).toBeUndefined();
  });

  it('refuses a template without exactly one deployment, with a stage resource already, or with a StageDescription', () => {
    const without = compiled();
    delete without.Resources.ApiGatewayDeployment123;
    expect(() => addThrottledStage(without, 'dev', LIMITS)).toThrow(/expected one AWS::ApiGateway::Deployment .*found 0/);
    const taken = compiled();
    taken.Resources.ApiGatewayStage = { Type: 'AWS::ApiGateway::Stage', Properties: {} };
    expect(() => addThrottledStage(taken, 'dev', LIMITS)).toThrow(/already has a resource ApiGatewayStage/);
    const described = compiled();
    described.Resources.ApiGatewayDeployment123.Properties.StageDescription = { ThrottlingRateLimit: 1 };
    expect(() => addThrottledStage(described, 'dev', LIMITS)).toThrow(/StageDescription/);
    expect(() => addThrottledStage(compiled(), 'prod', LIMITS)).toThrow(/deploys to stage "dev", not "prod"/);
  });
});
