'use strict';

/**
 * Local Serverless (osls) plugin: throttling of the REST API's stage, for every method.
 *
 * The framework cannot express stage-wide throttling: a usage plan's throttle applies only to requests made with
 * an API key, and `StageDescription.MethodSettings` on the Deployment creates the stage through that deployment,
 * which fails on the next deploy (every package makes a new Deployment, whose StageDescription then tries to
 * create a stage that already exists). So, at package time, this plugin
 *   - takes the stage out of the framework's `AWS::ApiGateway::Deployment` (removes its `StageName`), and
 *   - adds an explicit `AWS::ApiGateway::Stage` (`ApiGatewayStage`) of that deployment, named after the
 *     deployment stage (`--stage`), with X-Ray tracing and
 *     `MethodSettings: [{ ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit, ThrottlingBurstLimit }]`.
 * Each new Deployment (its logical id carries a timestamp) is then simply pointed to by the same Stage resource.
 *
 * Configuration (serverless.yml), both required, both positive numbers (burstLimit a whole number):
 *   custom:
 *     apiThrottling: { rateLimit: 50, burstLimit: 100 }   # requests per second, bucket size
 *
 * Whatever else refers to the stage keeps working: its name does not change, so the `ApiUrl` and
 * `ServiceEndpoint` outputs still point to it, and the functions' `AWS::Lambda::Permission`s name the API as
 * `…/<api id>/*\/*` (any stage). A resource that needs the stage to EXIST (it used to come with the Deployment)
 * gets `DependsOn: ApiGatewayStage`: anything that declared `DependsOn` the Deployment (e.g. the framework's usage
 * plan), and a base path mapping, usage plan or WAF association of this API that names the stage.
 *
 * CAVEAT: CloudFormation cannot take over a stage that a Deployment of an earlier deploy of the SAME stack
 * created (i.e. a stage deployed before this plugin was added): creating `ApiGatewayStage` fails with "Stage
 * already exists". Use the plugin from the first deploy of a stage, or, for an existing stage, delete that stage
 * first (e.g. `aws apigateway delete-stage --rest-api-id … --stage-name …`, then deploy; the API is unreachable
 * in between).
 *
 * Do not set `provider.tracing.apiGateway` / `provider.logs.restApi`: the framework applies those to the stage
 * with API calls after the deploy (its "update-stage" hack), behind CloudFormation's back; tracing is set here.
 */
const { templatePlugin } = require('./template-plugin.cjs');

const STAGE_ID = 'ApiGatewayStage';
const REST_API_ID = 'ApiGatewayRestApi';
/** types that may refer to the stage by name and need it to exist when they are created */
const STAGE_CONSUMER_TYPES = new Set([
  'AWS::ApiGateway::BasePathMapping',
  'AWS::ApiGateway::BasePathMappingV2',
  'AWS::ApiGateway::UsagePlan',
  'AWS::WAFv2::WebACLAssociation',
  'AWS::WAFRegional::WebACLAssociation',
]);

/**
 * Validates custom.apiThrottling and returns { rateLimit, burstLimit }; throws an Error saying what is wrong.
 * @param {unknown} value
 * @returns {{ rateLimit: number, burstLimit: number }}
 */
function parseThrottlingOptions(value) {
  const where = 'custom.apiThrottling';
  const example = `${where}: { rateLimit: 50, burstLimit: 100 }`;
  if (value === undefined || value === null) {
    throw new Error(`${where} is missing: the api-stage-throttling plugin needs the stage's limits, e.g. ${example}`);
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${where} must be an object with rateLimit and burstLimit (${example}), not ${JSON.stringify(value)}`);
  }
  const unknown = Object.keys(value).filter((key) => key !== 'rateLimit' && key !== 'burstLimit');
  if (unknown.length > 0) {
    throw new Error(`${where}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (only rateLimit and burstLimit: ${example})`);
  }
  const { rateLimit, burstLimit } = /** @type {Record<string, unknown>} */ (value);
  const check = (name, limit, what, wholeNumber) => {
    if (limit === undefined) throw new Error(`${where}.${name} is missing: ${what} (${example})`);
    if (typeof limit !== 'number' || !Number.isFinite(limit) || limit <= 0) {
      throw new Error(`${where}.${name} must be a positive number (${what}), not ${JSON.stringify(limit)}`);
    }
    if (wholeNumber && !Number.isInteger(limit)) {
      throw new Error(`${where}.${name} must be a whole number (${what}), not ${limit}`);
    }
  };
  check('rateLimit', rateLimit, 'steady-state requests per second', false);
  check('burstLimit', burstLimit, 'the most requests at once', true);
  return { rateLimit: /** @type {number} */ (rateLimit), burstLimit: /** @type {number} */ (burstLimit) };
}

const asArray = (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** whether a template node refers to the REST API (Ref, GetAtt, or ${ApiGatewayRestApi} in a Fn::Sub) */
function refersToRestApi(node) {
  const json = JSON.stringify(node);
  return json.includes(`{"Ref":"${REST_API_ID}"}`) || json.includes(`"Fn::GetAtt":["${REST_API_ID}"`) || json.includes(`\${${REST_API_ID}}`);
}

/** whether a template node names the stage: a string equal to it, or an ARN/path with the segment /<stage> */
function namesStage(node, stage) {
  if (typeof node === 'string') return node === stage || node.split('/').slice(1).includes(stage);
  if (Array.isArray(node)) return node.some((item) => namesStage(item, stage));
  if (node && typeof node === 'object') return Object.values(node).some((item) => namesStage(item, stage));
  return false;
}

/**
 * Rewrites a compiled template in place: the Deployment loses its StageName, ApiGatewayStage is added, and the
 * resources that need the stage depend on it. Throws an Error if the template is not what it expects.
 * @param {{ Resources: Record<string, any> }} template
 * @param {string} stage
 * @param {{ rateLimit: number, burstLimit: number }} limits
 */
function addThrottledStage(template, stage, limits) {
  const resources = template.Resources;
  const deployments = Object.keys(resources).filter(
    (id) =>
      resources[id].Type === 'AWS::ApiGateway::Deployment' &&
      resources[id].Properties &&
      resources[id].Properties.RestApiId &&
      resources[id].Properties.RestApiId.Ref === REST_API_ID,
  );
  if (deployments.length !== 1) {
    throw new Error(
      `api-stage-throttling: expected one AWS::ApiGateway::Deployment of ${REST_API_ID} in the template, found ${deployments.length} (does the service have http events?)`,
    );
  }
  if (resources[STAGE_ID]) throw new Error(`api-stage-throttling: the template already has a resource ${STAGE_ID}`);
  const [deploymentId] = deployments;
  const deployment = resources[deploymentId];
  if (deployment.Properties.StageDescription) {
    throw new Error(`api-stage-throttling: ${deploymentId} has a StageDescription: the stage is configured by ${STAGE_ID} instead`);
  }
  if (deployment.Properties.StageName !== undefined && deployment.Properties.StageName !== stage) {
    throw new Error(`api-stage-throttling: ${deploymentId} deploys to stage ${JSON.stringify(deployment.Properties.StageName)}, not ${JSON.stringify(stage)}`);
  }
  delete deployment.Properties.StageName;

  resources[STAGE_ID] = {
    Type: 'AWS::ApiGateway::Stage',
    Properties: {
      RestApiId: { Ref: REST_API_ID },
      DeploymentId: { Ref: deploymentId },
      StageName: stage,
      TracingEnabled: true,
      MethodSettings: [
        {
          ResourcePath: '/*',
          HttpMethod: '*',
          ThrottlingRateLimit: limits.rateLimit,
          ThrottlingBurstLimit: limits.burstLimit,
        },
      ],
    },
  };

  const dependents = [];
  for (const [id, resource] of Object.entries(resources)) {
    if (id === STAGE_ID) continue;
    const dependsOn = asArray(resource.DependsOn);
    const needsStage =
      dependsOn.includes(deploymentId) ||
      (STAGE_CONSUMER_TYPES.has(resource.Type) && refersToRestApi(resource.Properties) && namesStage(resource.Properties, stage));
    if (!needsStage || dependsOn.includes(STAGE_ID)) continue;
    resource.DependsOn = [...dependsOn, STAGE_ID];
    dependents.push(id);
  }
  return { deploymentId, dependents };
}

const ApiStageThrottlingPlugin = templatePlugin({
  customKey: 'apiThrottling',
  parse: parseThrottlingOptions,
  // after the framework compiled the API (package:compileEvents) and merged resources.Resources and
  // resources.extensions, so that a hand-written ApiGatewayStage is detected
  addToTemplate: (template, limits, { stage }) => addThrottledStage(template, stage, limits),
  errorCode: 'API_STAGE_THROTTLING',
});

module.exports = ApiStageThrottlingPlugin;
module.exports.parseThrottlingOptions = parseThrottlingOptions;
module.exports.addThrottledStage = addThrottledStage;
