import { describe, expect, it } from 'vitest';
import { AWS_TIME, pageSeconds, SERIAL_PER_PAGE, wavesSeconds, type PageShape, type TimeAssumptions } from '../bench/time-model.ts';
import { localTime } from '../bench/model-check.ts';
import { DEFAULT_LANES, sweepSeconds, type Workload } from '../bench/model.ts';

// a measured page: one abort and one verify per upload (two Map phases), the measure's ListParts and a record PutItem each
const shape: PageShape = { waits: 1, statesPerUpload: 6, mapPerUpload: [1, 1], lambdaCalls: 2, pooledS3PerUpload: 1, pooledDynamodbPerUpload: 1 };
/** every request `latency` seconds, nothing else: no wave cost, no Lambda overhead, no wait */
const only = (latency: number, more: Partial<TimeAssumptions> = {}): TimeAssumptions => ({
  ...AWS_TIME,
  s3Seconds: latency,
  dynamodbSeconds: latency,
  listUploadsSeconds: latency,
  lambdaOverheadSeconds: 0,
  waitSeconds: 0,
  ...more,
});
// the local stack's round trips as the model check measures them (round-trips.ts): 100 ms of latency and moto's answer
const trips = {
  s3Seconds: 0.105,
  dynamodbSeconds: 0.11,
  s3PerRequestInWave: 0.002,
  dynamodbPerRequestInWave: 0.003,
  stateSeconds: 0.001,
  listUploadsSeconds: 0.12,
  listed: 200,
  keyBytes: 33,
  uploadIdChars: 92,
};
const workload: Workload = { targets: 2, uploadsPerTarget: 200, pageUploads: 20, settings: { ...DEFAULT_LANES, pageSize: 20 } };

describe('the time model', () => {
  it("counts a page's rounds of requests: serial calls, the shard Queries' wave, the pools' and Maps' waves", () => {
    // 400 uploads: list call, 1 intent PUT, 5 serial DynamoDB calls, 1 wave of shard Queries, 25 measure waves of 16,
    // 16 record waves of 25, 10 + 10 Map waves of 40 = 69 rounds of a request's time
    const rounds = 1 + SERIAL_PER_PAGE.s3 + SERIAL_PER_PAGE.dynamodb + 1 + 25 + 16 + 10 + 10;
    expect(rounds).toBe(69);
    expect(pageSeconds(shape, 400, only(0.1)).express).toBeCloseTo(rounds * 0.1, 9);
  });

  it("grows with the latency by the page's rounds, the waits and the Lambdas' overhead staying what they are", () => {
    const at = (latency: number) => pageSeconds(shape, 400, only(latency, { waitSeconds: 5, lambdaOverheadSeconds: 0.02 })).express;
    expect(at(0)).toBeCloseTo(5 + 2 * 0.02, 9);
    expect(at(0.1) - at(0)).toBeCloseTo(69 * 0.1, 9);
    expect(at(0.2) - at(0.1)).toBeCloseTo(69 * 0.1, 9);
  });

  it("a sweep's seconds grow with the latency by the rounds on its critical path: fixed calls, a walk, a lane's pages", () => {
    const at = (latency: number) => sweepSeconds(shape, workload, only(latency)).total;
    const sweep = sweepSeconds(shape, workload, only(0.1));
    // 2 targets of 200 in 2 lanes side by side (a lane holds 10 pages of 20 at least), 10 pages of 20 each
    expect([sweep.lanes, sweep.waves, sweep.pagesPerLane]).toEqual([2, 1, 10]);
    // a page of 20: list, PUT, 5 serial, shard Queries, 2 measure waves, 1 record wave, 1 + 1 Map waves = 13 rounds
    expect(sweep.page).toBeCloseTo(13 * 0.1, 9);
    // 4 fixed DynamoDB calls and one walk call, then 10 pages
    expect(at(0.1)).toBeCloseTo((4 + 1 + 10 * 13) * 0.1, 9);
    expect(at(0.2) - at(0.1)).toBeCloseTo((4 + 1 + 10 * 13) * 0.1, 9);
  });

  it('lanes beyond SweepLanesAtOnce run in waves: twice the lanes at once, twice the time of the lanes', () => {
    const one = sweepSeconds(shape, { ...workload, settings: { ...workload.settings, lanesAtOnce: 2 } }, only(0.1));
    const two = sweepSeconds(shape, { ...workload, targets: 4, settings: { ...workload.settings, lanesAtOnce: 2 } }, only(0.1));
    expect(two.waves).toBe(2);
    expect(two.total - two.fixed - two.walk).toBeCloseTo(2 * (one.total - one.fixed - one.walk), 9);
  });

  it('charges each further request of a wave where one server answers them one after another', () => {
    expect(wavesSeconds(100, 40, 0.1, 0)).toBeCloseTo(0.3, 9);
    // 3 waves (40, 40, 20): 97 requests besides each wave's first
    expect(wavesSeconds(100, 40, 0.1, 0.002)).toBeCloseTo(0.3 + 97 * 0.002, 9);
    expect(wavesSeconds(0, 40, 0.1, 0.002)).toBe(0);
    // two lanes side by side send the same waves at the same time: the server answers 80 requests a wave
    expect(wavesSeconds(40, 40, 0.1, 0.002, 2)).toBeCloseTo(0.1 + 79 * 0.002, 9);
  });

  it("charges the lanes of a wave for each other's requests at a server that answers one at a time, never on AWS", () => {
    const alone = sweepSeconds(shape, { ...workload, targets: 1 }, localTime(trips, 1));
    const two = sweepSeconds(shape, workload, localTime(trips, 1));
    expect(two.page).toBeGreaterThan(alone.page);
    expect(sweepSeconds(shape, workload, only(0.1)).page).toBeCloseTo(sweepSeconds(shape, { ...workload, targets: 1 }, only(0.1)).page, 9);
  });

  it("evaluates the same model with the local stack's round trips, wait and no Lambda overhead", () => {
    const local = localTime(trips, 1);
    expect(local).toMatchObject({ s3Seconds: 0.105, dynamodbSeconds: 0.11, lambdaOverheadSeconds: 0, waitSeconds: 1, pageListSeconds: 0.12 });
    // the probe listed 200 uploads in 0.12 s: 1,000 would take 0.105 + 5 × 0.015
    expect(local.listUploadsSeconds).toBeCloseTo(0.18, 9);
    // the wait is 1 s of each page; the rest grows with the round trips
    const page = pageSeconds(shape, 20, local).express;
    expect(page).toBeGreaterThan(1 + 13 * 0.105 + 20 * 6 * 0.001);
    // each state a page enters adds the runtime's time per state: 120 states of 1 ms
    expect(page - pageSeconds(shape, 20, { ...local, stateSeconds: 0 }).express).toBeCloseTo(0.12, 9);
    expect(pageSeconds(shape, 20, localTime({ ...trips, s3Seconds: 0.205, dynamodbSeconds: 0.21 }, 1)).express - page).toBeCloseTo(12 * 0.1, 1);
  });

  it('keeps the AWS assumptions: 30 ms S3, 10 ms DynamoDB, waves answered side by side, the deployed 5 s wait', () => {
    expect(AWS_TIME).toMatchObject({ s3Seconds: 0.03, dynamodbSeconds: 0.01, s3PerRequestInWave: 0, dynamodbPerRequestInWave: 0, waitSeconds: 5 });
  });
});
