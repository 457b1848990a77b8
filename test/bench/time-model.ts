/**
 * The sweep's time model: a page's seconds from what it does (its Map phases, its Lambdas' pools, the requests it sends
 * one after another, its waits) and from assumptions that are all parameters: what a request takes, what each further
 * request of a wave adds, how many go at once, the waits. AWS_TIME holds AWS's values; the bench's model check
 * (test/bench/model-check.ts) evaluates the same model with the local stack's and compares it with a measured sweep.
 */
import { RECORD_INDEX_SHARDS } from '../../lib/records.ts';
import { SWEEP_SETTINGS_DEFAULTS } from '../../lib/settings.ts';
import { AWS_LATENCY, CONCURRENCY } from './cost.ts';

export interface TimeAssumptions {
  /** one S3 request alone: ListParts, AbortMultipartUpload, the intent's PutObject */
  s3Seconds: number;
  /** one DynamoDB request alone */
  dynamodbSeconds: number;
  /**
   * what each further request of a wave sent at once adds to the wave's time: 0 where the service answers them side by
   * side (AWS), a server's time per request where one process answers them one after another (moto_server)
   */
  s3PerRequestInWave: number;
  dynamodbPerRequestInWave: number;
  /** a Lambda invocation's own time besides its requests */
  lambdaOverheadSeconds: number;
  /**
   * what each state a page execution enters adds: 0 on AWS (Step Functions publishes no figure; taken as negligible
   * beside the requests), the runtime's time per state where one node process runs every state (the local stack)
   */
  stateSeconds: number;
  /** a ListMultipartUploads that answers 1,000 uploads (the walk's calls) */
  listUploadsSeconds: number;
  /** a page's own ListMultipartUploads; default: listCallsSeconds of the page's uploads */
  pageListSeconds?: number;
  /** a page's verify wait ("Wait for in-flight parts": SweepWaitSeconds) */
  waitSeconds: number;
  /** requests in flight at once: the page's Maps, the measure's ListParts pool, the record writes' pool */
  concurrency: { map: number; lambdaS3: number; lambdaDynamodb: number };
}

/** AWS: AWS_LATENCY (cost.ts: its sources and assumptions), services that answer a wave side by side, the deployed SweepWaitSeconds */
export const AWS_TIME: TimeAssumptions = {
  s3Seconds: AWS_LATENCY.s3Seconds,
  dynamodbSeconds: AWS_LATENCY.dynamodbSeconds,
  s3PerRequestInWave: 0,
  dynamodbPerRequestInWave: 0,
  lambdaOverheadSeconds: AWS_LATENCY.lambdaOverheadSeconds,
  stateSeconds: 0,
  listUploadsSeconds: AWS_LATENCY.listUploadsSeconds,
  waitSeconds: SWEEP_SETTINGS_DEFAULTS.SweepWaitSeconds,
  concurrency: CONCURRENCY,
};

/** What one page does per upload (measured counts: test/support/sweep-design.ts pageShape) and its waits. */
export interface PageShape {
  /** Wait states a page enters */
  waits: number;
  /** states a page execution enters per upload (its Maps' iterations; its own few states shared out) */
  statesPerUpload: number;
  /** each Map phase's Task requests per upload (abort, verify), the phases one after another, concurrency.map at once */
  mapPerUpload: number[];
  /** Lambda invocations a page (List a page, Record the page) */
  lambdaCalls: number;
  /** the measure's (or the activity guard's) ListParts per upload, concurrency.lambdaS3 at once */
  pooledS3PerUpload: number;
  /** the record PutItems per upload, concurrency.lambdaDynamodb at once */
  pooledDynamodbPerUpload: number;
}

/**
 * A page's requests that wait for the one before, read from the code. The list Lambda (lib/sweep/list.ts listPage)
 * reads the checkpoint, leases it (UpdateItem), reads the sweep's status, lists, queries the RUNNING shards (all
 * RECORD_INDEX_SHARDS side by side: one wave), measures (its pool), PUTs the intent; the record Lambda
 * (lib/sweep/record.ts recordPage) writes the records (its pool), the checkpoint, and reads the sweep's status.
 */
export const SERIAL_PER_PAGE = { dynamodb: 5, s3: 1, shardQueries: RECORD_INDEX_SHARDS } as const;

/** ListMultipartUploads calls answering `uploads`: a request's time, and the answer's share of a 1,000-upload answer's more */
export function listCallsSeconds(uploads: number, t: TimeAssumptions): number {
  const calls = Math.max(1, Math.ceil(uploads / 1000));
  return calls * t.s3Seconds + (uploads / 1000) * Math.max(0, t.listUploadsSeconds - t.s3Seconds);
}

/**
 * `requests` sent `atOnce` at a time, each wave as long as its first request plus perRequest for each other one at the
 * server: its own and those of the `lanes` − 1 other lanes that send the same waves at the same time (lanes side by side
 * start together and do equal pages: their waves meet at the one server; on AWS perRequest is 0)
 */
export function wavesSeconds(requests: number, atOnce: number, first: number, perRequest: number, lanes = 1): number {
  // requests per upload are averages (a retried write, an abort sent again): a part of a request starts a wave
  const waves = Math.ceil(requests / atOnce - 1e-9);
  return waves * first + Math.max(0, lanes * Math.ceil(requests - 1e-9) - waves) * perRequest;
}

/**
 * A page's seconds: its waits, each Map phase in waves of concurrency.map, the Lambdas' pools in waves, its serial
 * requests one after another. (The model before this counted the two Maps as one pool of both phases' requests and the
 * page's serial calls as part of the records' pool of 25: on AWS a few tens of ms, with 100 ms a request over a second.)
 */
export function pageSeconds(shape: PageShape, uploads: number, t: TimeAssumptions = AWS_TIME, lanes = 1): { express: number; lambda: number } {
  const s3 = (requests: number, atOnce: number) => wavesSeconds(requests, atOnce, t.s3Seconds, t.s3PerRequestInWave, lanes);
  const dynamodb = (requests: number, atOnce: number) => wavesSeconds(requests, atOnce, t.dynamodbSeconds, t.dynamodbPerRequestInWave, lanes);
  const lambda =
    shape.lambdaCalls * t.lambdaOverheadSeconds +
    (t.pageListSeconds ?? listCallsSeconds(uploads, t)) +
    SERIAL_PER_PAGE.s3 * s3(1, 1) +
    SERIAL_PER_PAGE.dynamodb * dynamodb(1, 1) +
    dynamodb(SERIAL_PER_PAGE.shardQueries, SERIAL_PER_PAGE.shardQueries) +
    s3(uploads * shape.pooledS3PerUpload, t.concurrency.lambdaS3) +
    dynamodb(uploads * shape.pooledDynamodbPerUpload, t.concurrency.lambdaDynamodb);
  const maps = shape.mapPerUpload.reduce((sum, perUpload) => sum + s3(uploads * perUpload, t.concurrency.map), 0);
  const states = uploads * shape.statesPerUpload * t.stateSeconds;
  return { lambda, express: shape.waits * t.waitSeconds + maps + lambda + states };
}
