/** mpu-reaper local seed (lib/cli/seed.ts): incomplete uploads in a bucket of the local stack, with the S3 client mocked. */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, CreateMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { cli, resetMocks, s3Mock } from '../../support/cli.ts';

const LOCAL = { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' };

beforeEach(() => {
  resetMocks();
  s3Mock.on(CreateBucketCommand).resolves({});
  let n = 0;
  s3Mock.on(CreateMultipartUploadCommand).callsFake(async () => {
    n += 1;
    return { UploadId: `U${n}` };
  });
  s3Mock.on(UploadPartCommand).resolves({ ETag: '"e"' });
});

describe('mpu-reaper local seed', () => {
  it('creates the bucket and N uploads of P parts of 1 KiB, and says what to try next', async () => {
    // Act
    const { code, stdout } = await cli(['local', 'seed', '--bucket', 'demo-bucket', '--uploads', '3', '--parts', '2'], LOCAL);

    // Assert
    expect(code).toBe(0);
    expect(s3Mock).toHaveReceivedCommandWith(CreateBucketCommand, { Bucket: 'demo-bucket' });
    expect(s3Mock.commandCalls(CreateMultipartUploadCommand).map((c) => c.args[0].input.Key)).toEqual([
      'seed/object-00001.bin',
      'seed/object-00002.bin',
      'seed/object-00003.bin',
    ]);
    expect(s3Mock).toHaveReceivedCommandTimes(UploadPartCommand, 6);
    expect(s3Mock).toHaveReceivedCommandWith(UploadPartCommand, { Bucket: 'demo-bucket', UploadId: 'U1', PartNumber: 2 });
    expect(stdout).toMatch(/uploads:\s+3\n/);
    expect(stdout).toContain('mpu-reaper sweep --bucket demo-bucket --older-than 1h --dry-run --wait');
  });

  it('seeds a bucket that is already there, and prints JSON with --json', async () => {
    // Arrange
    s3Mock.on(CreateBucketCommand).rejects(new BucketAlreadyOwnedByYou({ message: 'yours', $metadata: {} }));

    // Act
    const { code, stdout } = await cli(['local', 'seed', '--bucket', 'demo-bucket', '--uploads', '2', '--json'], LOCAL);

    // Assert
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ endpoint: LOCAL.AWS_ENDPOINT_URL, bucket: 'demo-bucket', uploads: 2, partsPerUpload: 1, bytes: 2048 });
  });

  it.each([
    [['local', 'seed', '--bucket', 'b-1', '--uploads', '2'], {}, /AWS_ENDPOINT_URL must name the local endpoint/],
    [['local', 'seed', '--uploads', '2'], LOCAL, /--bucket: is required/],
    [['local', 'seed', '--bucket', 'Bad_Bucket', '--uploads', '2'], LOCAL, /--bucket: must be lowercase/],
    [['local', 'seed', '--bucket', 'b-1'], LOCAL, /--uploads: is required/],
    [['local', 'seed', '--bucket', 'b-1', '--uploads', '1e3'], LOCAL, /--uploads: must be a whole number from 1 to 10,000 in decimal digits, got "1e3"/],
    [['local', 'seed', '--bucket', 'b-1', '--uploads', '2', '--parts', '0x10'], LOCAL, /--parts: .*got "0x10"/],
    [['local', 'seed', '--bucket', 'b-1', '--uploads', '10001'], LOCAL, /--uploads: must be a whole number from 1 to 10,000/],
  ])('%j → one line, exit 2, nothing created', async (argv, env, message) => {
    // Act
    const { code, stderr } = await cli(argv, env);

    // Assert
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(s3Mock).not.toHaveReceivedCommand(CreateBucketCommand);
    expect(s3Mock).not.toHaveReceivedCommand(CreateMultipartUploadCommand);
  });
});
