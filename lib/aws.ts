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

/** every client of one environment, each created on first use */
export function createClients(env: NodeJS.ProcessEnv = process.env): AwsClients {
  const config = clientConfig(env);
  const made: Partial<AwsClients> = {};
  const clients = {} as AwsClients;
  const lazily = <K extends keyof AwsClients>(name: K, make: () => AwsClients[K]) => ({ get: () => (made[name] ??= make()), enumerable: true });
  return Object.defineProperties(clients, {
    s3: lazily('s3', () => new S3Client(config)),
    sfn: lazily('sfn', () => new SFNClient(config)),
    dynamodb: lazily('dynamodb', () => new DynamoDBClient(config)),
    doc: lazily('doc', () => DynamoDBDocumentClient.from(clients.dynamodb, { marshallOptions: { removeUndefinedValues: true } })),
    cloudformation: lazily('cloudformation', () => new CloudFormationClient(config)),
  });
}

let shared: AwsClients | undefined;
/** The process's clients (the CLI's): one per service, each created on first use. */
export function clients(): AwsClients {
  shared ??= createClients();
  return shared;
}

// The Lambda handlers take only the clients they use, so that their bundles carry no other SDK client.
let doc: DynamoDBDocumentClient | undefined;
let sfn: SFNClient | undefined;
/** the process's DynamoDB document client, created once */
export function documentClient(): DynamoDBDocumentClient {
  doc ??= DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig()), { marshallOptions: { removeUndefinedValues: true } });
  return doc;
}
/** the process's Step Functions client, created once */
export function sfnClient(): SFNClient {
  sfn ??= new SFNClient(clientConfig());
  return sfn;
}
let s3: S3Client | undefined;
/** the process's S3 client, created once (the workflow's measuring function) */
export function s3Client(): S3Client {
  s3 ??= new S3Client(clientConfig());
  return s3;
}
