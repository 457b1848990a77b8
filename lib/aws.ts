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

/** the SDK options a kind of function needs beyond the environment's (the sweep's: more attempts than the default 3) */
export interface SdkOptions {
  maxAttempts?: number;
}

export function clientConfig(env: NodeJS.ProcessEnv = process.env, sdk: SdkOptions = {}): Record<string, unknown> {
  const endpoint = env.AWS_ENDPOINT_URL;
  const config: Record<string, unknown> = { region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1' };
  if (sdk.maxAttempts !== undefined) config.maxAttempts = sdk.maxAttempts;
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

/** a DynamoDB document client as the product uses it everywhere: attributes whose value is undefined are left out */
export function documentClientOf(dynamodb: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
}

/** every client of one environment (the local stack's functions: its own endpoint), each created on first use */
export function createClients(env: NodeJS.ProcessEnv, sdk: SdkOptions = {}): AwsClients {
  const config = clientConfig(env, sdk);
  const made: Partial<AwsClients> = {};
  const clients = {} as AwsClients;
  const lazily = <K extends keyof AwsClients>(name: K, make: () => AwsClients[K]) => ({ get: () => (made[name] ??= make()), enumerable: true });
  return Object.defineProperties(clients, {
    s3: lazily('s3', () => new S3Client(config)),
    sfn: lazily('sfn', () => new SFNClient(config)),
    dynamodb: lazily('dynamodb', () => new DynamoDBClient(config)),
    doc: lazily('doc', () => documentClientOf(clients.dynamodb)),
    cloudformation: lazily('cloudformation', () => new CloudFormationClient(config)),
  });
}

// The process's own clients (from process.env), one per service, each created on first use. Each has its own accessor:
// a Lambda handler calls only the ones it uses, so that its bundle carries no other SDK client (/* @__PURE__ */ lets
// the bundler drop the accessors a handler does not call). A client is made again only when the environment names
// another endpoint or region: never on Lambda; in a process that runs one local stack after another (the bench), the
// handlers then talk to the stack that is running, not to the first one. One client per SDK options (attempts).
function perEnvironment<T>(make: (config: Record<string, unknown>, sdk: SdkOptions) => T): (sdk?: SdkOptions) => T {
  const made = new Map<number | undefined, { key: string; client: T }>();
  return (sdk = {}) => {
    const config = clientConfig(process.env, sdk);
    const key = `${String(config.region)} ${String(config.endpoint ?? '')}`;
    const entry = made.get(sdk.maxAttempts);
    if (entry?.key === key) return entry.client;
    const client = make(config, sdk);
    made.set(sdk.maxAttempts, { key, client });
    return client;
  };
}
/** the process's S3 client (the workflow's measuring function) */
export const s3Client = /* @__PURE__ */ perEnvironment((config) => new S3Client(config));
/**
 * One S3 client per region, made on first use from `config` (clientConfig's, with the caller's options): a scan reads
 * each bucket in its own region (the CLI's scan and the scheduled one).
 */
export function s3ClientsByRegion(config: Record<string, unknown>): (region: string) => S3Client {
  const made = new Map<string, S3Client>();
  return (region) => {
    if (!made.has(region)) made.set(region, new S3Client({ ...config, region }));
    return made.get(region)!;
  };
}
/** the process's Step Functions client */
export const sfnClient = /* @__PURE__ */ perEnvironment((config) => new SFNClient(config));
const dynamodbClient = /* @__PURE__ */ perEnvironment((config) => new DynamoDBClient(config));
/** the process's DynamoDB document client */
export const documentClient = /* @__PURE__ */ perEnvironment((_config, sdk) => documentClientOf(dynamodbClient(sdk)));
const cloudFormationClient = /* @__PURE__ */ perEnvironment((config) => new CloudFormationClient(config));

/** All of the process's clients (the CLI's): the same ones the accessors above hand out. */
export function clients(): AwsClients {
  return {
    get s3() {
      return s3Client();
    },
    get sfn() {
      return sfnClient();
    },
    get dynamodb() {
      return dynamodbClient();
    },
    get doc() {
      return documentClient();
    },
    get cloudformation() {
      return cloudFormationClient();
    },
  };
}
