/**
 * A part sent to an upload that is gone, the race the workflow exists for ("part uploads in flight while you abort
 * might or might not succeed"): S3 answers 404 NoSuchUpload to UploadPart, UploadPartCopy and CompleteMultipartUpload
 * (each API reference's Errors). moto 5.2.1 answered 500 InternalError (an unguarded lookup); the stack's moto_server
 * answers as S3 does (emulator/python/sitecustomize.py).
 */
import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, PutObjectCommand, UploadPartCommand, UploadPartCopyCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { awsClients, createBucket, createUpload } from '../support/workflow.ts';
import { motoForFile } from '../support/moto-for-file.ts';

const moto = motoForFile();

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: Error & { $metadata?: { httpStatusCode?: number } }) => `${error.$metadata?.httpStatusCode} ${error.name}`,
  );

describe('a part of an aborted upload', () => {
  it('is refused 404 NoSuchUpload by UploadPart, UploadPartCopy and CompleteMultipartUpload', async () => {
    const { s3 } = awsClients(moto.server.endpoint, { maxAttempts: 1 });
    await createBucket(s3, 'gone-parts');
    await s3.send(new PutObjectCommand({ Bucket: 'gone-parts', Key: 'source', Body: 'x'.repeat(1024) }));
    const upload = await createUpload(s3, 'gone-parts', 'video.mp4', [1024]);
    const at = { Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId };
    await s3.send(new AbortMultipartUploadCommand(at));

    expect(await refusal(s3.send(new UploadPartCommand({ ...at, PartNumber: 2, Body: 'late part' })))).toBe('404 NoSuchUpload');
    expect(await refusal(s3.send(new UploadPartCopyCommand({ ...at, PartNumber: 3, CopySource: 'gone-parts/source' })))).toBe('404 NoSuchUpload');
    expect(await refusal(s3.send(new CompleteMultipartUploadCommand({ ...at, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"0"' }] } })))).toBe(
      '404 NoSuchUpload',
    );
    expect(moto.server.stderr()).not.toContain('KeyError');
  });
});
