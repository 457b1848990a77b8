/** The bench's data: N incomplete uploads of one 1 KiB part each, the same keys for every tool, straight into moto_server. */
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { inPool } from '../../lib/sweep/requests.ts';
import { awsClients, createBucket, createUpload } from '../support/workflow.ts';
import { answerParent, inItsOwnProcess } from './own-process.ts';

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
export const seedUploadsInItsOwnProcess = (motoEndpoint: string, bucket: string, n: number): Promise<{ seconds: number }> =>
  inItsOwnProcess(import.meta.url, { motoEndpoint, bucket, n });

await answerParent(import.meta.url, (a: { motoEndpoint: string; bucket: string; n: number }) => seedUploads(a.motoEndpoint, a.bucket, a.n));

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
