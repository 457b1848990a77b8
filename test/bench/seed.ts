/** The bench's data: N incomplete uploads of one 1 KiB part each, the same keys for every tool, straight into moto_server. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { inPool } from '../../lib/sweep/requests.ts';
import { awsClients, createBucket, createUpload } from '../support/workflow.ts';

export const PART_BYTES = 1024;
const SEED_CONCURRENCY = 32;

/** the bucket of one (tool, N) run on its own moto_server, filled with N uploads (keys spread over three prefixes) */
export async function seedUploads(motoEndpoint: string, bucket: string, n: number): Promise<{ seconds: number }> {
  const started = performance.now();
  const { s3, dynamodb } = awsClients(motoEndpoint);
  try {
    await createBucket(s3, bucket);
    const prefixes = ['logs/', 'tmp/', 'media/'];
    const keys = Array.from({ length: n }, (_, i) => `${prefixes[i % 3]}2026/11/22/object-${String(i).padStart(6, '0')}.bin`);
    await inPool(keys, SEED_CONCURRENCY, (key) => createUpload(s3, bucket, key, [PART_BYTES]));
    return { seconds: (performance.now() - started) / 1000 };
  } finally {
    s3.destroy();
    dynamodb.destroy();
  }
}

/**
 * seedUploads in a node process of its own: the process that measures the stack's memory keeps nothing of the
 * seeding's 2 × N requests (its SDK client's buffers and sockets)
 */
export async function seedUploadsInItsOwnProcess(motoEndpoint: string, bucket: string, n: number): Promise<{ seconds: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, [fileURLToPath(import.meta.url), motoEndpoint, bucket, String(n)]);
  return JSON.parse(stdout) as { seconds: number };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [endpoint, bucket, n] = process.argv.slice(2);
  process.stdout.write(JSON.stringify(await seedUploads(endpoint, bucket, Number(n))), () => process.exit(0));
}

/** incomplete uploads left in the bucket (every page of the listing) */
export async function uploadsLeft(motoEndpoint: string, bucket: string): Promise<number> {
  const { s3, dynamodb } = awsClients(motoEndpoint);
  try {
    let [left, KeyMarker, UploadIdMarker] = [0, undefined as string | undefined, undefined as string | undefined];
    for (;;) {
      const page = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker, UploadIdMarker }));
      left += page.Uploads?.length ?? 0;
      if (!page.IsTruncated) return left;
      [KeyMarker, UploadIdMarker] = [page.NextKeyMarker, page.NextUploadIdMarker];
    }
  } finally {
    s3.destroy();
    dynamodb.destroy();
  }
}
