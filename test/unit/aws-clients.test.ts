/** lib/aws.ts: one client per service and process, made again only when the environment names another endpoint. */
import { afterEach, describe, expect, it } from 'vitest';
import { documentClient, s3Client, sfnClient } from '../../lib/aws.ts';

const saved = { endpoint: process.env.AWS_ENDPOINT_URL, region: process.env.AWS_REGION };
afterEach(() => {
  for (const [name, value] of [
    ['AWS_ENDPOINT_URL', saved.endpoint],
    ['AWS_REGION', saved.region],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe("the process's clients", () => {
  it('hands out the same client for the same environment', () => {
    // Arrange
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:4566';

    // Act / Assert
    expect(s3Client()).toBe(s3Client());
    expect(sfnClient()).toBe(sfnClient());
    expect(documentClient()).toBe(documentClient());
  });

  it('talks to the endpoint the environment names now (one local stack after another in one process)', async () => {
    // Arrange
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:4566';
    const first = { s3: s3Client(), doc: documentClient() };

    // Act
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:4567';
    const second = { s3: s3Client(), doc: documentClient() };

    // Assert
    expect(second.s3).not.toBe(first.s3);
    expect(second.doc).not.toBe(first.doc);
    expect((await second.s3.config.endpoint!()).port).toBe(4567);
    expect((await second.doc.config.endpoint!()).port).toBe(4567);
  });
});
