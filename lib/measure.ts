/**
 * An upload's measure: ListParts page by page (1,000 parts a page, 10,000 at most), its parts and bytes summed exactly,
 * its newest part and its storage class. abort-upload's first state, the sweep's pages and the scan all measure with it.
 */
import { ListPartsCommand, type S3Client } from '@aws-sdk/client-s3';

/** AbortMultipartUpload's and ListParts' parameters, as the state machine's S3 Tasks pass them */
export interface S3Parameters {
  Bucket: string;
  Key: string;
  UploadId: string;
  ExpectedBucketOwner: string;
  RequestPayer?: 'requester';
  IfMatchInitiatedTime?: string;
}

export interface Measure {
  exists: boolean;
  parts: number;
  bytes: number;
  /**
   * the newest part's LastModified over every ListParts page, ISO 8601: the activity guard's measure, what a plan
   * compares to see a part added or replaced, the scan's newest part; none without parts
   */
  lastPartAt?: string;
  /** the upload's storage class, when ListParts reports it */
  storageClass?: string;
}

/** ListParts page by page: parts and bytes, summed exactly (bytes stay below 2^53: 10,000 parts × 5 GiB ≈ 5.4 × 10^13) */
export async function measureUpload(s3: S3Client, parameters: Omit<S3Parameters, 'ExpectedBucketOwner'> & { ExpectedBucketOwner?: string }): Promise<Measure> {
  const { IfMatchInitiatedTime: _notForListParts, ...listParameters } = parameters;
  let parts = 0;
  let bytes = 0n;
  let newest = Number.NEGATIVE_INFINITY;
  let marker: string | undefined;
  // the upload's class, when S3 reports it (the scan prices by it)
  let storageClass: string | undefined;
  try {
    for (let page = 0; page < 11; page += 1) {
      // 10,000 parts at most, 1,000 a page
      const answer = await s3.send(new ListPartsCommand({ ...listParameters, MaxParts: 1000, ...(marker ? { PartNumberMarker: marker } : {}) }));
      for (const part of answer.Parts ?? []) {
        parts += 1;
        bytes += BigInt(part.Size ?? 0);
        newest = Math.max(newest, part.LastModified?.getTime() ?? newest);
      }
      storageClass ??= answer.StorageClass;
      if (!answer.IsTruncated) break;
      marker = String(answer.NextPartNumberMarker);
    }
  } catch (error) {
    if ((error as Error).name === 'NoSuchUpload') return { exists: false, parts: 0, bytes: 0 };
    throw error;
  }
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`ListParts reported ${bytes} bytes, more than S3 allows in one upload`);
  return {
    exists: true,
    parts,
    bytes: Number(bytes),
    ...(Number.isFinite(newest) ? { lastPartAt: new Date(newest).toISOString() } : {}),
    ...(storageClass ? { storageClass } : {}),
  };
}
