/**
 * Faults for the abort-upload tests, named the way LocalStack's Chaos API names them ({service, operation} and an
 * error), plus the faults that matter here (a reset connection, an answer lost after the request was applied, an abort
 * answered 204 without being forwarded). This is the ONE place the abort tests touch the fault proxy. It stays the
 * test proxy, not the Chaos API: its faults name one call of a run (the measure's ListParts, not the check's; the
 * claim's UpdateItem, not the outcome's) by the request's parameters and body, which the Chaos API's rules cannot.
 *
 * Every client of a run goes through the proxy: the runtime's dispatcher (the native abort and check Tasks) and the
 * Lambda functions' S3 and DynamoDB clients (the measure ListParts, the record's claim UpdateItem and outcome write).
 */
import type { ServerResponse } from 'node:http';
import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { answerNoContent, passThrough, resetConnection, startFaultProxy, type FaultRule, type SeenRequest, type UpstreamAnswer } from './fault-proxy.ts';
import { awsClients, runAbort } from './workflow.ts';

/** the AWS calls of one abort-upload run, and who makes them */
export const CALLS = {
  /** prepare-run Lambda: ListParts pages of 1,000 */
  'measure ListParts': {
    service: 's3',
    operation: 'ListParts',
    method: 'GET',
    matches: (s: SeenRequest) => s.url.searchParams.has('uploadId') && s.url.searchParams.get('max-parts') === '1000',
  },
  /** the native "Abort upload" Task */
  AbortMultipartUpload: { service: 's3', operation: 'AbortMultipartUpload', method: 'DELETE', matches: (s: SeenRequest) => s.url.searchParams.has('uploadId') },
  /** the native "Check for remaining parts" Task: ListParts MaxParts 1 */
  'check ListParts': {
    service: 's3',
    operation: 'ListParts',
    method: 'GET',
    matches: (s: SeenRequest) => s.url.searchParams.has('uploadId') && s.url.searchParams.get('max-parts') === '1',
  },
  /** prepare-run Lambda: the conditional UpdateItem that claims the record (SET … REMOVE …) */
  'claim UpdateItem': {
    service: 'dynamodb',
    operation: 'UpdateItem',
    method: 'POST',
    matches: (s: SeenRequest) => isDynamoDb(s, 'UpdateItem') && s.body.includes('REMOVE'),
  },
  /**
   * record-outcome Lambda: the conditional write of the outcome: an UpdateItem, or for ABORTED a TransactWriteItems
   * that also adds the upload to the ledger (lib/ledger.ts)
   */
  'outcome write': {
    service: 'dynamodb',
    operation: 'UpdateItem',
    method: 'POST',
    matches: (s: SeenRequest) => (isDynamoDb(s, 'UpdateItem') && !s.body.includes('REMOVE')) || isDynamoDb(s, 'TransactWriteItems'),
  },
} as const;
export type CallName = keyof typeof CALLS;

const isDynamoDb = (s: SeenRequest, operation: string) => s.headers['x-amz-target'] === `DynamoDB_20120810.${operation}`;

/** an error answer as each service sends it (S3: XML with S3's documented messages; DynamoDB: JSON) */
export function errorAnswer(service: string, status: number, code: string, message: string) {
  return (res: ServerResponse) => {
    if (service === 's3') {
      res
        .writeHead(status, { 'content-type': 'application/xml' })
        .end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>FAULT</RequestId></Error>`);
    } else {
      res
        .writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': code })
        .end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${code}`, message }));
    }
  };
}

export const FAULTS = {
  '503 SlowDown': (service: string) => ({
    respond:
      service === 's3'
        ? errorAnswer('s3', 503, 'SlowDown', 'Please reduce your request rate.')
        : errorAnswer('dynamodb', 503, 'ServiceUnavailable', 'The service is currently unavailable or busy.'),
  }),
  '500 InternalError': (service: string) => ({
    respond:
      service === 's3'
        ? errorAnswer('s3', 500, 'InternalError', 'We encountered an internal error. Please try again.')
        : errorAnswer('dynamodb', 500, 'InternalServerError', 'Internal server error'),
  }),
  'connection reset': () => ({ respond: resetConnection }),
  'applied, answer lost (500)': (service: string) => ({ after: (res: ServerResponse) => FAULTS['500 InternalError'](service).respond(res) }),
  'applied, answer lost (reset)': () => ({ after: (res: ServerResponse) => resetConnection(res) }),
  'abort answered 204, not forwarded': () => ({ respond: answerNoContent }),
} as const;
export type FaultName = keyof typeof FAULTS;

export interface Fault {
  call: CallName;
  fault: FaultName;
  times: number;
}

/** a rule of the proxy, for a fault or for a rewrite of moto's answer */
export type ProxyRule = FaultRule;

export function faultRule({ call, fault, times }: Fault): ProxyRule {
  const target = CALLS[call];
  return { method: target.method, url: () => true, request: target.matches, times, ...FAULTS[fault](target.service) };
}

/** moto's ListParts answer for the measure step, with each part's <Size> replaced */
export function rewriteMeasuredSizes(size: (original: number, partNumber: number) => number): ProxyRule {
  return {
    method: 'GET',
    url: () => true,
    request: CALLS['measure ListParts'].matches,
    times: Infinity,
    after: (res: ServerResponse, answer: UpstreamAnswer) => {
      const xml = answer.body.toString('utf8').replace(/<Part>([\s\S]*?)<\/Part>/g, (part: string) => {
        const partNumber = Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(part)?.[1]);
        return part.replace(/<Size>(\d+)<\/Size>/, (_: string, original: string) => `<Size>${size(Number(original), partNumber)}</Size>`);
      });
      const { 'content-length': _length, 'transfer-encoding': _encoding, ...headers } = answer.headers;
      res.writeHead(answer.status, { ...headers, 'content-length': Buffer.byteLength(xml) }).end(xml);
    },
  };
}

/** moto applies the call, then `action` runs (someone else acting meanwhile), then the workflow gets moto's answer */
export function afterCall(call: CallName, action: () => Promise<unknown>, times = 1): ProxyRule {
  return {
    method: CALLS[call].method,
    url: () => true,
    request: CALLS[call].matches,
    times,
    after: (res: ServerResponse, answer: UpstreamAnswer) => {
      void action().then(() => passThrough(res, answer));
    },
  };
}

/** the measure's ListParts is answered as moto answered it, and then someone else aborts the upload (before the workflow's abort) */
export const abortAfterMeasure = (s3: S3Client, upload: { bucket: string; key: string; uploadId: string }) =>
  afterCall('measure ListParts', () => s3.send(new AbortMultipartUploadCommand({ Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId })));

/**
 * S3 Express (directory buckets): the SDK asks for a session (CreateSession, GET /bucket?session) before any call;
 * moto has no such API, so the proxy answers it with throwaway credentials.
 */
export const createSessionAnswer: ProxyRule = {
  method: 'GET',
  url: (url) => url.searchParams.has('session'),
  times: Infinity,
  respond: (res) => {
    res
      .writeHead(200, { 'content-type': 'application/xml' })
      .end(
        '<?xml version="1.0" encoding="UTF-8"?><CreateSessionResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
          '<Credentials><SessionToken>local-session</SessionToken><SecretAccessKey>local</SecretAccessKey><AccessKeyId>local</AccessKeyId>' +
          `<Expiration>${new Date(Date.now() + 3600_000).toISOString()}</Expiration></Credentials></CreateSessionResult>`,
      );
  },
};

type RunOptions = Omit<Parameters<typeof runAbort>[0], 'dispatcherEndpoint' | 'lambdaEndpoint' | 'doc'>;

/**
 * One abort-upload run with every AWS call of the run going through the proxy and its rules: returns runAbort's
 * result, what each rule intercepted, and every request the proxy saw (calls by the test itself go to moto directly).
 */
export async function runThroughProxy(motoEndpoint: string, rules: ProxyRule[], options: RunOptions) {
  const proxy = await startFaultProxy(motoEndpoint, rules);
  const clients = awsClients(proxy.endpoint);
  try {
    const result = await runAbort({
      ...options,
      dispatcherEndpoint: proxy.endpoint,
      lambdaEndpoint: proxy.endpoint,
      doc: clients.doc as DynamoDBDocumentClient,
    });
    return { ...result, injected: [...proxy.intercepted], requests: proxy.requests };
  } finally {
    clients.s3.destroy();
    clients.dynamodb.destroy();
    await proxy.close();
  }
}

/** AWS clients of the test itself whose calls go through a proxy with these rules */
export async function clientsThroughProxy(motoEndpoint: string, rules: ProxyRule[]) {
  const proxy = await startFaultProxy(motoEndpoint, rules);
  const clients = awsClients(proxy.endpoint);
  return {
    ...clients,
    close: async () => {
      clients.s3.destroy();
      clients.dynamodb.destroy();
      await proxy.close();
    },
  };
}

/** a run with faults injected ({call, fault, times}) */
export const runWithFaults = (motoEndpoint: string, faults: Fault[], options: RunOptions) => runThroughProxy(motoEndpoint, faults.map(faultRule), options);

/** the requests of one call among those the proxy saw */
export const requestsOf = (requests: SeenRequest[], call: CallName) => requests.filter((r) => r.method === CALLS[call].method && CALLS[call].matches(r));
