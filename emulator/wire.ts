/**
 * What an AWS request is on the wire, for the local endpoint and the Chaos API: the headers a proxy forwards, the AWS
 * JSON error body, and the service, operation and region a request names (X-Amz-Target, or S3's REST table).
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Hop-by-hop headers are this connection's business, not the upstream's (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'expect']);

/** Request headers as forwarded to moto: Host rewritten (moto does not check SigV4 signatures), hop-by-hop dropped. */
export function forwardedRequestHeaders(headers: IncomingHttpHeaders, upstreamHost: string): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name) && name !== 'host') out[name] = value;
  out.host = upstreamHost;
  if (headers.host) out['x-forwarded-host'] = headers.host;
  return out;
}

/** Response headers as returned to the client: hop-by-hop dropped. */
export function forwardedResponseHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

/** The body of an AWS JSON error: `{"__type":"<namespace>#<Code>","message":"…"}` (no namespace: the bare code). */
export function awsJsonErrorBody(code: string, message: string, namespace?: string): string {
  return JSON.stringify({ __type: namespace ? `${namespace}#${code}` : code, message });
}

/** the namespace each AWS JSON service puts before an error code in `__type` (SDKs keep the part after '#') */
export const AWS_JSON_ERROR_NAMESPACES: Readonly<Record<string, string>> = {
  dynamodb: 'com.amazonaws.dynamodb.v20120810',
  stepfunctions: 'com.amazonaws.swf.service.v2.model',
};

export const AWS_JSON_1_0 = 'application/x-amz-json-1.0';

/** X-Amz-Target prefix → the service name LocalStack (and the Chaos API) uses */
const JSON_TARGET_SERVICES: Readonly<Record<string, string>> = {
  'DynamoDB_20120810.': 'dynamodb',
  'AWSStepFunctions.': 'stepfunctions',
  'AWSEvents.': 'events',
};

export const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

// ---------------------------------------------------------------------------------------------------------------
// Naming the operation of a request
// ---------------------------------------------------------------------------------------------------------------

export interface RequestIdentity {
  /** as LocalStack names services: s3, dynamodb, stepfunctions, events */
  service: string;
  /** as the AWS API names it (ListParts, UpdateItem…); undefined when the request names none this table knows */
  operation?: string;
  /** from the SigV4 credential scope; undefined for unsigned requests */
  region?: string;
  /** S3 only: the bucket a path-style request names (its first path segment); undefined for ListBuckets */
  bucket?: string;
}

/**
 * S3's REST operations (path-style addressing): method, what the path names (service, bucket or object), then
 * `?param` (the query has it) and `+header` (the request has it) conditions. Rows are tried in order: specific first.
 */
const S3_OPERATION_TABLE = `
  GET    service                              ListBuckets
  GET    bucket  ?uploads                     ListMultipartUploads
  GET    bucket  ?versions                    ListObjectVersions
  GET    bucket  ?location                    GetBucketLocation
  GET    bucket  ?versioning                  GetBucketVersioning
  GET    bucket  ?policy                      GetBucketPolicy
  GET    bucket  ?tagging                     GetBucketTagging
  GET    bucket  ?lifecycle                   GetBucketLifecycleConfiguration
  GET    bucket  ?acl                         GetBucketAcl
  GET    bucket  ?cors                        GetBucketCors
  GET    bucket  ?encryption                  GetBucketEncryption
  GET    bucket  ?list-type                   ListObjectsV2
  GET    bucket                               ListObjects
  HEAD   bucket                               HeadBucket
  PUT    bucket  ?versioning                  PutBucketVersioning
  PUT    bucket  ?policy                      PutBucketPolicy
  PUT    bucket  ?tagging                     PutBucketTagging
  PUT    bucket  ?lifecycle                   PutBucketLifecycleConfiguration
  PUT    bucket  ?acl                         PutBucketAcl
  PUT    bucket  ?cors                        PutBucketCors
  PUT    bucket  ?encryption                  PutBucketEncryption
  PUT    bucket                               CreateBucket
  DELETE bucket  ?policy                      DeleteBucketPolicy
  DELETE bucket  ?tagging                     DeleteBucketTagging
  DELETE bucket  ?lifecycle                   DeleteBucketLifecycle
  DELETE bucket  ?cors                        DeleteBucketCors
  DELETE bucket  ?encryption                  DeleteBucketEncryption
  DELETE bucket                               DeleteBucket
  POST   bucket  ?delete                      DeleteObjects
  GET    object  ?uploadId                    ListParts
  GET    object  ?tagging                     GetObjectTagging
  GET    object  ?acl                         GetObjectAcl
  GET    object  ?attributes                  GetObjectAttributes
  GET    object                               GetObject
  HEAD   object                               HeadObject
  PUT    object  ?uploadId +x-amz-copy-source UploadPartCopy
  PUT    object  ?uploadId                    UploadPart
  PUT    object  ?tagging                     PutObjectTagging
  PUT    object  ?acl                         PutObjectAcl
  PUT    object  +x-amz-copy-source           CopyObject
  PUT    object                               PutObject
  DELETE object  ?uploadId                    AbortMultipartUpload
  DELETE object  ?tagging                     DeleteObjectTagging
  DELETE object                               DeleteObject
  POST   object  ?uploads                     CreateMultipartUpload
  POST   object  ?uploadId                    CompleteMultipartUpload
  POST   object  ?restore                     RestoreObject
  POST   object  ?select                      SelectObjectContent
`;

type S3Scope = 'service' | 'bucket' | 'object';
interface S3OperationRow {
  method: string;
  scope: S3Scope;
  query: string[];
  headers: string[];
  operation: string;
}

const S3_OPERATIONS: readonly S3OperationRow[] = S3_OPERATION_TABLE.trim()
  .split('\n')
  .map((line) => {
    const [method, scope, ...rest] = line.trim().split(/\s+/);
    const operation = rest.pop()!;
    return {
      method,
      scope: scope as S3Scope,
      operation,
      query: rest.filter((t) => t.startsWith('?')).map((t) => t.slice(1)),
      headers: rest.filter((t) => t.startsWith('+')).map((t) => t.slice(1)),
    };
  });

/** The S3 operation a path-style REST request performs: DELETE /bucket/key?uploadId=… → AbortMultipartUpload. */
export function s3OperationName(method: string, url: URL, headers: IncomingHttpHeaders = {}): string | undefined {
  const [bucket, ...key] = url.pathname.split('/').slice(1);
  const scope: S3Scope = !bucket ? 'service' : key.join('/') === '' ? 'bucket' : 'object';
  const row = S3_OPERATIONS.find(
    (r) => r.method === method && r.scope === scope && r.query.every((q) => url.searchParams.has(q)) && r.headers.every((h) => headers[h] !== undefined),
  );
  return row?.operation;
}

/** The region of a SigV4-signed request (Authorization header or presigned X-Amz-Credential): its credential scope. */
export function signedRegion(headers: IncomingHttpHeaders, url?: URL): string | undefined {
  const credential = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\//.exec(header(headers, 'authorization') ?? '');
  if (credential) return credential[1];
  return /^[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(url?.searchParams.get('X-Amz-Credential') ?? '')?.[1];
}

/** The service a SigV4-signed request was signed for (s3, dynamodb…): its credential scope; undefined for unsigned ones. */
export function signedService(headers: IncomingHttpHeaders, url?: URL): string | undefined {
  const scope = /Credential=[^/,\s]+\/\d{8}\/[a-z0-9-]+\/([a-z0-9-]+)\//.exec(header(headers, 'authorization') ?? '');
  if (scope) return scope[1];
  return /^[^/]+\/\d{8}\/[a-z0-9-]+\/([a-z0-9-]+)\//.exec(url?.searchParams.get('X-Amz-Credential') ?? '')?.[1];
}

/** a DynamoDB request: X-Amz-Target DynamoDB_20120810.* or signed for `dynamodb` (the service moto_server itself goes by) */
export function isDynamoDbRequest(req: { url?: string; headers: IncomingHttpHeaders }): boolean {
  if (header(req.headers, 'x-amz-target')?.startsWith('DynamoDB_20120810.')) return true;
  return signedService(req.headers, new URL(req.url ?? '/', 'http://local')) === 'dynamodb';
}

/** service, operation and region of a request to the endpoint: from X-Amz-Target for JSON services, else S3 REST. */
export function identifyRequest(req: { method?: string; url?: string; headers: IncomingHttpHeaders }): RequestIdentity {
  const url = new URL(req.url ?? '/', 'http://local');
  const region = signedRegion(req.headers, url);
  const target = header(req.headers, 'x-amz-target');
  if (target) {
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, dot + 1);
    return { service: JSON_TARGET_SERVICES[prefix] ?? prefix.slice(0, -1).toLowerCase(), operation: target.slice(dot + 1), region };
  }
  const bucket = s3Bucket(url);
  return { service: 's3', operation: s3OperationName(req.method ?? 'GET', url, req.headers), region, ...(bucket ? { bucket } : {}) };
}

/** the bucket of a path-style S3 request (the stack's clients use path-style addressing), percent-decoded */
function s3Bucket(url: URL): string | undefined {
  const segment = url.pathname.split('/')[1];
  if (!segment) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
