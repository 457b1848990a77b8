/**
 * Runs a Task state's Resource locally: `arn:aws:states:::aws-sdk:SERVICE:ACTION` and the optimized
 * integrations (`arn:aws:states:::dynamodb:putItem` …) become the matching AWS SDK v3 command, sent to the
 * configured endpoint; SDK errors become Step Functions error names (`S3.NoSuchUploadException`).
 */

/** Step Functions' spelling of a service's error prefix, and the SDK v3 package that serves it. */
const SERVICES: Record<string, { prefix: string; pkg: string }> = {
  s3: { prefix: 'S3', pkg: '@aws-sdk/client-s3' },
  dynamodb: { prefix: 'DynamoDB', pkg: '@aws-sdk/client-dynamodb' },
  sfn: { prefix: 'Sfn', pkg: '@aws-sdk/client-sfn' },
};

export interface ParsedResource { service: string; action: string; optimized: boolean }

export function parseResource(resource: string): ParsedResource {
  const sdk = /^arn:aws[a-z-]*:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(resource);
  if (sdk) return { service: sdk[1], action: sdk[2], optimized: false };
  const optimized = /^arn:aws[a-z-]*:states:::(dynamodb):(getItem|putItem|updateItem|deleteItem)$/.exec(resource);
  if (optimized) return { service: optimized[1], action: optimized[2], optimized: true };
  throw new Error(`the local runtime cannot run the resource ${resource}`);
}

export const commandName = (action: string): string => `${action[0].toUpperCase()}${action.slice(1)}Command`;

/**
 * The Step Functions error name for an SDK error: `Prefix.Code`, with `Exception` appended when the code lacks it.
 * Errors that never reached the service (connection refused, reset, timeouts) are `Prefix.SdkClientException`,
 * as the AWS SDK for Java, which Step Functions uses, names them.
 */
export function statesErrorName(service: string, error: unknown): string {
  const prefix = SERVICES[service]?.prefix ?? service;
  const e = error as { name?: string; Code?: string; $metadata?: unknown; $fault?: string };
  const fromService = e && (e.$metadata !== undefined || e.$fault !== undefined);
  if (!fromService) return `${prefix}.SdkClientException`;
  let code = e.Code ?? e.name ?? 'Unknown';
  if (code === 'Unknown' || code === 'UnknownError' || code === 'Error') {
    const status = (e.$metadata as { httpStatusCode?: number } | undefined)?.httpStatusCode;
    code = status === 503 ? 'ServiceUnavailable' : status && status >= 500 ? 'InternalError' : status === 403 ? 'AccessDenied' : status === 404 ? 'NotFound' : 'Unknown';
  }
  return `${prefix}.${code.endsWith('Exception') ? code : `${code}Exception`}`;
}

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

/** SDK output → JSON as a Task result: no $metadata, Dates as ISO strings. */
export function toStatesOutput(output: unknown): unknown {
  const { $metadata: _ignored, ...rest } = (output ?? {}) as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest));
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
   * moto_server ignores ListMultipartUploads' MaxUploads and markers and lists every upload at once; with this set,
   * the dispatcher pages moto's full listing itself, with S3's rules, so a sweep pages locally as it does on AWS.
   */
  pageMultipartUploads?: boolean;
}

type Upload = { Key?: string; UploadId?: string };

/**
 * One page of ListMultipartUploads cut from a full listing, as S3 pages it: uploads in key order (then upload id), after
 * KeyMarker (and, for that key, after UploadIdMarker), at most MaxUploads (default and maximum 1,000).
 */
export function pageOfUploads(all: Record<string, unknown>, request: { MaxUploads?: number; KeyMarker?: string; UploadIdMarker?: string }): Record<string, unknown> {
  const uploads = [...((all.Uploads as Upload[] | undefined) ?? [])].sort((a, b) => (a.Key! < b.Key! ? -1 : a.Key! > b.Key! ? 1 : a.UploadId! < b.UploadId! ? -1 : a.UploadId! > b.UploadId! ? 1 : 0));
  const max = Math.min(request.MaxUploads ?? 1000, 1000);
  const keyMarker = request.KeyMarker ?? '';
  const after = uploads.filter((u) => keyMarker === '' || u.Key! > keyMarker || (u.Key === keyMarker && request.UploadIdMarker !== undefined && request.UploadIdMarker !== '' && u.UploadId! > request.UploadIdMarker));
  const page = after.slice(0, max);
  const truncated = after.length > max;
  const last = page[page.length - 1];
  const { Uploads: _all, NextKeyMarker: _k, NextUploadIdMarker: _u, IsTruncated: _t, ...rest } = all;
  return {
    ...rest, MaxUploads: max, KeyMarker: keyMarker, UploadIdMarker: request.UploadIdMarker ?? '', IsTruncated: truncated,
    ...(page.length ? { Uploads: page } : {}),
    ...(truncated ? { NextKeyMarker: last.Key, NextUploadIdMarker: last.UploadId } : {}),
  };
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
      entry = import(spec.pkg).then((module: SdkModule) => {
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
    const { service, action } = parseResource(resource);
    if (this.options.serializeItemUpdates && service === 'dynamodb' && action === 'updateItem') {
      const p = (parameters ?? {}) as { TableName?: string; Key?: unknown };
      const item = `${p.TableName}\n${JSON.stringify(p.Key)}`;
      const previous = this.itemUpdates.get(item) ?? Promise.resolve();
      const update = previous.catch(() => undefined).then(() => this.send(service, action, parameters));
      this.itemUpdates.set(item, update);
      try {
        return await update;
      } finally {
        if (this.itemUpdates.get(item) === update) this.itemUpdates.delete(item);
      }
    }
    return this.send(service, action, parameters);
  }

  private async send(service: string, action: string, parameters: unknown): Promise<unknown> {
    const { client, module } = await this.client(service);
    const Command = module[commandName(action)] as (new (input: object) => unknown) | undefined;
    if (!Command) throw new StatesTaskError('States.Runtime', `${service} has no action ${action}`);
    this.options.onRequest?.(service, action);
    try {
      if (service === 's3' && action === 'listMultipartUploads' && this.options.pageMultipartUploads) {
        const { MaxUploads, KeyMarker, UploadIdMarker, ...unpaged } = toSdkInput(parameters) as { MaxUploads?: number; KeyMarker?: string; UploadIdMarker?: string };
        const all = toStatesOutput(await client.send(new Command(unpaged))) as Record<string, unknown>;
        return pageOfUploads(all, { MaxUploads, KeyMarker, UploadIdMarker });
      }
      return toStatesOutput(await client.send(new Command(toSdkInput(parameters))));
    } catch (error) {
      const e = error as Error;
      throw new StatesTaskError(statesErrorName(service, error), `${e.message || e.name} (Service: ${service}, Action: ${action})`);
    }
  }

  async destroy(): Promise<void> {
    for (const entry of this.clients.values()) (await entry).client.destroy();
    this.clients.clear();
  }
}
