/**
 * AWS SDK clients, created once per process from the standard AWS environment (AWS_REGION, AWS_PROFILE,
 * AWS_ENDPOINT_URL …). Against a local endpoint (AWS_ENDPOINT_URL set) S3 uses path-style addressing and,
 * when no credentials are configured, dummy ones: the local stack does not check them.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';

export interface ClientConfig {
  region?: string;
  endpoint?: string;
}

export function clientConfig(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const endpoint = env.AWS_ENDPOINT_URL;
  const config: Record<string, unknown> = { region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1' };
  if (endpoint) {
    config.endpoint = endpoint;
    config.forcePathStyle = true;
    if (!env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  }
  return config;
}

export interface AwsClients {
  s3: S3Client;
  sfn: SFNClient;
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  cloudformation: CloudFormationClient;
}

export function createClients(env: NodeJS.ProcessEnv = process.env): AwsClients {
  const config = clientConfig(env);
  const dynamodb = new DynamoDBClient(config);
  return {
    s3: new S3Client(config),
    sfn: new SFNClient(config),
    dynamodb,
    doc: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    cloudformation: new CloudFormationClient(config),
  };
}

let shared: AwsClients | undefined;
/** The process's clients: one per service, created on first use. */
export function clients(): AwsClients {
  shared ??= createClients();
  return shared;
}
