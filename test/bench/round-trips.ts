/**
 * The idle local stack's request round trips, through its endpoint (the Chaos API's latency effect included), one
 * request at a time before a sweep: the time model's per-request seconds for the local stack (test/bench/model-check.ts).
 * Measured apart from the sweep, so nothing in the model is fitted to the sweep's wall time.
 */
import { ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { LocalStack } from '../../emulator/stack.ts';
import { CONCURRENCY } from './cost.ts';
import { awsClients } from '../support/workflow.ts';
import { median } from './measure.ts';

export interface RoundTrips {
  /** a ListParts of an upload of the bucket */
  s3Seconds: number;
  /** a GetItem of the records table */
  dynamodbSeconds: number;
  /** what each further request of a wave sent at once adds: (a wave's time − one request's) / (requests − 1) */
  s3PerRequestInWave: number;
  dynamodbPerRequestInWave: number;
  /** the runtime's seconds per state entered: an EXPRESS execution of a Map of STATE_ITEMS iterations of two Pass states */
  stateSeconds: number;
  /** a ListMultipartUploads of up to 1,000 uploads of the bucket */
  listUploadsSeconds: number;
  /** uploads that listing answered, and the length of their keys and upload ids (the page's size: cost.ts uploadsPerPage) */
  listed: number;
  keyBytes: number;
  uploadIdChars: number;
}

const TIMES = 9;
/** the waves: as many requests as the page's Maps and the records' pool send at once (cost.ts CONCURRENCY) */
const WAVE = { s3: CONCURRENCY.map, dynamodb: CONCURRENCY.lambdaDynamodb } as const;

async function timed(send: () => Promise<unknown>, times = TIMES): Promise<number> {
  const seconds: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const started = performance.now();
    await send();
    seconds.push((performance.now() - started) / 1000);
  }
  return median(seconds);
}

/** as many iterations as a page's Map runs at once */
const STATE_ITEMS = CONCURRENCY.map;
const STATES_PROBE = JSON.stringify({
  StartAt: 'Each',
  States: {
    Each: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: STATE_ITEMS,
      ItemProcessor: { StartAt: 'One', States: { One: { Type: 'Pass', Next: 'Two' }, Two: { Type: 'Pass', End: true } } },
      End: true,
    },
  },
});

/** the local runtime's seconds per state entered, median of a few executions of STATES_PROBE */
async function stateSeconds(stack: Pick<LocalStack, 'runtime'>): Promise<number> {
  const { stateMachineArn } = stack.runtime.createStateMachine({ name: 'round-trip-states', definition: STATES_PROBE, type: 'EXPRESS' });
  const input = JSON.stringify({ items: Array.from({ length: STATE_ITEMS }, (_, i) => i) });
  const seconds: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const started = performance.now();
    const { executionArn } = stack.runtime.startExecution({ stateMachineArn, input });
    await stack.runtime.waitForExecution(executionArn);
    // the Map, then two states an iteration (an EXPRESS execution has no history to count them from, as on AWS)
    seconds.push((performance.now() - started) / 1000 / (1 + 2 * STATE_ITEMS));
  }
  stack.runtime.deleteStateMachine(stateMachineArn);
  return median(seconds);
}

export async function roundTrips(stack: Pick<LocalStack, 'endpoint' | 'tableName' | 'runtime'>, bucket: string): Promise<RoundTrips> {
  const { s3, dynamodb } = awsClients(stack.endpoint);
  try {
    const listing = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, MaxUploads: 1000 }));
    const uploads = listing.Uploads ?? [];
    const [upload] = uploads;
    if (!upload) throw new Error(`no upload in ${bucket} to time a ListParts with`);
    const listParts = (u: (typeof uploads)[number]) => s3.send(new ListPartsCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
    const getItem = (i: number) => dynamodb.send(new GetItemCommand({ TableName: stack.tableName, Key: { id: { S: `round-trip-${i}` } } }));
    const s3Seconds = await timed(() => listParts(upload));
    const dynamodbSeconds = await timed(() => getItem(0));
    const s3Wave = await timed(() => Promise.all(Array.from({ length: WAVE.s3 }, (_, i) => listParts(uploads[i % uploads.length]))), 5);
    const dynamodbWave = await timed(() => Promise.all(Array.from({ length: WAVE.dynamodb }, (_, i) => getItem(i))), 5);
    return {
      s3Seconds,
      dynamodbSeconds,
      s3PerRequestInWave: Math.max(0, s3Wave - s3Seconds) / (WAVE.s3 - 1),
      dynamodbPerRequestInWave: Math.max(0, dynamodbWave - dynamodbSeconds) / (WAVE.dynamodb - 1),
      stateSeconds: await stateSeconds(stack),
      listUploadsSeconds: await timed(() => s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, MaxUploads: 1000 }))),
      listed: listing.Uploads?.length ?? 0,
      keyBytes: Buffer.byteLength(upload.Key ?? ''),
      uploadIdChars: upload.UploadId?.length ?? 0,
    };
  } finally {
    s3.destroy();
    dynamodb.destroy();
  }
}
