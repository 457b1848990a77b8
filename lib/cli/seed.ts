/**
 * `mpu-reaper local seed`: incomplete multipart uploads in a bucket of the local stack, so that the Quick start's
 * commands have something to find, abort and record. Local endpoints only: it never creates uploads in an account.
 */
import { CreateBucketCommand, CreateMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { inPool } from '../sweep/requests.ts';
import { bucketProblem } from '../validation.ts';
import { numberFlag, parse } from './args.ts';
import { formatFields } from './format.ts';
import { UsageError, type CliClients, type CliIo } from './io.ts';

export const LOCAL_SEED_USAGE = `Usage: mpu-reaper local seed --bucket B --uploads N [--parts P] [--json]

Creates the bucket (if it is not there) and N incomplete multipart uploads in it, each with P parts of 1 KiB, in the
local stack named by AWS_ENDPOINT_URL (npm start). Keys: seed/object-00001.bin, seed/object-00002.bin, …

  --bucket B     the bucket
  --uploads N    how many uploads (1 to ${(10_000).toLocaleString('en-US')})
  --parts P      parts per upload (1 to 100, default 1)
  --json         print one JSON document
  -h, --help     show this help`;

const PART_BYTES = 1024;
/** requests in flight at once: enough to seed thousands in seconds, few enough for moto_server */
const CONCURRENCY = 16;

export async function localSeedCommand(argv: string[], io: CliIo, clients: () => CliClients): Promise<number> {
  const { values } = parse('local seed', argv, {
    bucket: { type: 'string' },
    uploads: { type: 'string' },
    parts: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    io.stdout.write(`${LOCAL_SEED_USAGE}\n`);
    return 0;
  }
  const endpoint = io.env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new UsageError('local seed: AWS_ENDPOINT_URL must name the local endpoint of npm start, e.g. AWS_ENDPOINT_URL=http://127.0.0.1:4566');
  const bucket = values.bucket as string | undefined;
  if (bucket === undefined) throw new UsageError('local seed: --bucket: is required');
  const rule = bucketProblem(bucket);
  if (rule) throw new UsageError(`local seed: --bucket: ${rule}`);
  if (values.uploads === undefined) throw new UsageError('local seed: --uploads: is required, a whole number from 1 to 10,000');
  const uploads = numberFlag('local seed', '--uploads', values.uploads as string, 1, 10_000);
  const parts = values.parts === undefined ? 1 : numberFlag('local seed', '--parts', values.parts as string, 1, 100);
  const { s3 } = clients();
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if ((error as Error).name !== 'BucketAlreadyOwnedByYou' && (error as Error).name !== 'BucketAlreadyExists') throw error;
  }
  const body = Buffer.alloc(PART_BYTES, 0x2a);
  const keys = Array.from({ length: uploads }, (_, i) => `seed/object-${String(i + 1).padStart(5, '0')}.bin`);
  await inPool(keys, CONCURRENCY, async (key) => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    for (let part = 1; part <= parts; part++) {
      await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: part, Body: body }));
    }
  });
  const seeded = { endpoint, bucket, uploads, partsPerUpload: parts, bytes: uploads * parts * PART_BYTES };
  io.stdout.write(
    values.json ? `${JSON.stringify(seeded)}\n` : `${formatFields(seeded)}try: mpu-reaper sweep --bucket ${bucket} --older-than 1h --dry-run --wait\n`,
  );
  return 0;
}
