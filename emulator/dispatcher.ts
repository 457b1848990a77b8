/**
 * Runs a Task state's Resource locally: `arn:aws:states:::aws-sdk:SERVICE:ACTION` and the optimized
 * integrations (`arn:aws:states:::dynamodb:putItem` …) become the matching AWS SDK v3 command, sent to the
 * configured endpoint; SDK errors become the error and cause Step Functions gives them (see aws-errors.ts).
 */
import { SERVICES, sdkTaskError } from './aws-errors.ts';

export interface ParsedResource {
  service: string;
  action: string;
  optimized: boolean;
}

export function parseResource(resource: string): ParsedResource {
  const sdk = /^arn:aws[a-z-]*:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(resource);
  if (sdk) return { service: sdk[1], action: sdk[2], optimized: false };
  const optimized = /^arn:aws[a-z-]*:states:::(dynamodb):(getItem|putItem|updateItem|deleteItem)$/.exec(resource);
  if (optimized) return { service: optimized[1], action: optimized[2], optimized: true };
  throw new Error(`the local runtime cannot run the resource ${resource}`);
}

export const commandName = (action: string): string => `${action[0].toUpperCase()}${action.slice(1)}Command`;

/**
 * The Step Functions error name for an SDK error of an AWS SDK integration (`optimized`: of an optimized integration);
 * the cause and the rules are in aws-errors.ts.
 */
export const statesErrorName = (service: string, error: unknown, optimized = false): string => sdkTaskError({ service, optimized }, error).error;

export class StatesTaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

const TIMESTAMP_MEMBER = /(Time|Date)$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** JSON → SDK input: timestamp members (…Time, …Date) given as ISO-8601 strings become Dates, as Step Functions does. */
export function toSdkInput(parameters: unknown): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [name, value] of Object.entries((parameters ?? {}) as Record<string, unknown>)) {
    input[name] = typeof value === 'string' && TIMESTAMP_MEMBER.test(name) && ISO_8601.test(value) ? new Date(value) : value;
  }
  return input;
}

/**
 * Members whose type in the AWS SDK for Java model, which Step Functions' AWS SDK integrations use, is a number where
 * SDK v3 gives a string (S3's model turned the part number markers into strings after the Java SDK's version).
 */
const JAVA_NUMBER_MEMBERS: Record<string, string[]> = {
  's3:listParts': ['PartNumberMarker', 'NextPartNumberMarker', 'MaxParts'],
  's3:listMultipartUploads': ['MaxUploads'],
};

/** SDK output → JSON as a Task result: no $metadata, Dates as ISO strings, numbers where the Java model has numbers. */
export function toStatesOutput(output: unknown, operation?: string): unknown {
  const { $metadata: _ignored, ...rest } = (output ?? {}) as Record<string, unknown>;
  const json = JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
  for (const member of JAVA_NUMBER_MEMBERS[operation ?? ''] ?? []) {
    if (typeof json[member] === 'string' && /^-?\d+$/.test(json[member])) json[member] = Number(json[member]);
  }
  return json;
}

type SdkClient = { send(command: unknown): Promise<unknown>; destroy(): void };
type SdkModule = Record<string, unknown>;

export interface DispatcherOptions {
  endpoint: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** counts every AWS request the dispatcher makes, by "service:action" */
  onRequest?: (service: string, action: string) => void;
  /**
   * moto_server serves requests on several threads and applies an UpdateItem as read-modify-write without a lock,
   * so two concurrent `ADD` counters on one item can lose an update (seen: a 2,500-upload sweep counting 853 of 854).
   * DynamoDB applies each UpdateItem atomically; with this set, the dispatcher sends UpdateItems on the same item one
   * at a time.
   */
  serializeItemUpdates?: boolean;
  /**
   * Per action (`listParts`), service error codes to name as the service's generic exception (`S3.S3Exception`, the
   * details in the cause) although the SDK models them: Step Functions' naming if its model lacked the error for that
   * operation (S3's model declares NoSuchUpload on AbortMultipartUpload only). Tests run the workflow's fallbacks with it.
   */
  genericErrors?: Readonly<Record<string, readonly string[]>>;
}

export class TaskDispatcher {
  private readonly clients = new Map<string, Promise<{ client: SdkClient; module: SdkModule }>>();
  /** the last UpdateItem queued per item (serializeItemUpdates) */
  private readonly itemUpdates = new Map<string, Promise<unknown>>();
  private readonly options: DispatcherOptions;

  constructor(options: DispatcherOptions) {
    this.options = options;
  }

  private client(service: string) {
    let entry = this.clients.get(service);
    if (!entry) {
      const spec = SERVICES[service];
      if (!spec) throw new Error(`the local runtime has no SDK client for the service "${service}"`);
      entry = Promise.resolve(spec.module).then((module: SdkModule) => {
        const clientName = Object.keys(module).find((k) => k.endsWith('Client') && !k.startsWith('__') && typeof module[k] === 'function' && k !== 'Client');
        const Client = module[clientName!] as new (config: object) => SdkClient;
        const client = new Client({
          endpoint: this.options.endpoint,
          region: this.options.region ?? 'us-east-1',
          credentials: this.options.credentials ?? { accessKeyId: 'local', secretAccessKey: 'local' },
          forcePathStyle: true,
          maxAttempts: 1, // retries are the state machine's job (its Retry fields), as on AWS
        });
        return { client, module };
      });
      this.clients.set(service, entry);
    }
    return entry;
  }

  /** Runs one Task: resolves with its JSON result or rejects with a StatesTaskError named as Step Functions names it. */
  async run(resource: string, parameters: unknown): Promise<unknown> {
    const parsed = parseResource(resource);
    const { service, action } = parsed;
    if (this.options.serializeItemUpdates && service === 'dynamodb' && action === 'updateItem') {
      const p = (parameters ?? {}) as { TableName?: string; Key?: unknown };
      const item = `${p.TableName}\n${JSON.stringify(p.Key)}`;
      const previous = this.itemUpdates.get(item) ?? Promise.resolve();
      const update = previous.catch(() => undefined).then(() => this.send(parsed, parameters));
      this.itemUpdates.set(item, update);
      try {
        return await update;
      } finally {
        if (this.itemUpdates.get(item) === update) this.itemUpdates.delete(item);
      }
    }
    return this.send(parsed, parameters);
  }

  private async send({ service, action, optimized }: ParsedResource, parameters: unknown): Promise<unknown> {
    const { client, module } = await this.client(service);
    const Command = module[commandName(action)] as (new (input: object) => unknown) | undefined;
    if (!Command) throw new StatesTaskError('States.Runtime', `${service} has no action ${action}`);
    this.options.onRequest?.(service, action);
    try {
      const operation = `${service}:${action}`;
      return toStatesOutput(await client.send(new Command(toSdkInput(parameters))), operation);
    } catch (error) {
      const { error: name, cause } = sdkTaskError({ service, action, optimized }, error, new Set(this.options.genericErrors?.[action]));
      throw new StatesTaskError(name, cause);
    }
  }

  async destroy(): Promise<void> {
    for (const entry of this.clients.values()) (await entry).client.destroy();
    this.clients.clear();
  }
}
