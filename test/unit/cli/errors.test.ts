/** A failed command says what to do on one line (lib/cli/errors.ts); with --json the error is a JSON document on stdout. */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { QueryCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { cli, docMock, resetMocks } from '../../support/cli.ts';

const run = promisify(execFile);
const ENV = { MPU_REAPER_TABLE: 'records' };
const refused = (message = 'connect ECONNREFUSED 127.0.0.1:4566') => Object.assign(new Error(message), { code: 'ECONNREFUSED' });

beforeEach(() => {
  resetMocks();
});

describe('errors that say what to do', () => {
  it('nothing listening at AWS_ENDPOINT_URL → names it and npm start', async () => {
    // Arrange
    docMock.on(QueryCommand).rejects(refused());

    // Act
    const { code, stderr } = await cli(['sweeps'], { ...ENV, AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });

    // Assert
    expect(code).toBe(1);
    expect(stderr).toBe(
      'mpu-reaper: nothing answers at AWS_ENDPOINT_URL=http://127.0.0.1:4566 (ECONNREFUSED): start the local stack with npm start (it prints its endpoint), or unset AWS_ENDPOINT_URL to use AWS\n',
    );
  });

  it('reads the errno of each attempt of an AggregateError (IPv4 and IPv6)', async () => {
    // Arrange
    docMock.on(GetCommand).rejects(Object.assign(new AggregateError([refused('a'), refused('b')], ''), { name: 'AggregateError' }));

    // Act
    const { stderr } = await cli(['status', 'a'.repeat(64)], { ...ENV, AWS_ENDPOINT_URL: 'http://localhost:4566' });

    // Assert
    expect(stderr).toMatch(/^mpu-reaper: nothing answers at AWS_ENDPOINT_URL=http:\/\/localhost:4566 \(ECONNREFUSED\): start the local stack with npm start/);
  });

  it('no network to AWS → says so, and how to use the local stack instead', async () => {
    docMock.on(QueryCommand).rejects(Object.assign(new Error('getaddrinfo ENOTFOUND dynamodb.us-east-1.amazonaws.com'), { code: 'ENOTFOUND' }));
    expect((await cli(['sweeps'], ENV)).stderr).toMatch(/^mpu-reaper: cannot reach AWS \(ENOTFOUND: .*\): .*AWS_ENDPOINT_URL/);
  });

  it.each([
    [
      { AWS_PROFILE: 'ops' },
      'Could not resolve credentials using profile: [ops] in configuration/credentials file(s).',
      /the profile "ops" \(AWS_PROFILE\).*--profile ops/,
    ],
    [
      {},
      'Could not load credentials from any providers',
      /the profile "default": Could not load credentials from any providers; run aws configure --profile default/,
    ],
  ])('missing credentials → names the profile (%j)', async (env, message, line) => {
    // Arrange
    docMock.on(QueryCommand).rejects(Object.assign(new Error(message), { name: 'CredentialsProviderError' }));

    // Act
    const { code, stderr } = await cli(['sweeps'], { ...ENV, ...env });

    // Assert
    expect(code).toBe(1);
    expect(stderr).toMatch(line);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('--json errors', () => {
  it('a failure is a JSON document on stdout, exit 1', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({});

    // Act
    const { code, stdout, stderr } = await cli(['status', 'a'.repeat(64), '--json'], ENV);

    // Assert
    expect(code).toBe(1);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({ error: 'Failure', message: `status: no record with id ${'a'.repeat(64)} in records` });
  });

  it('a usage error is a JSON document on stdout, exit 2', async () => {
    // Act
    const { code, stdout } = await cli(['sweeps', '--limit', '0x10', '--json'], ENV);

    // Assert
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual({ error: 'UsageError', message: 'sweeps: --limit: must be a whole number from 1 to 100 in decimal digits, got "0x10"' });
  });

  it('an AWS error is a JSON document naming what to do', async () => {
    docMock.on(QueryCommand).rejects(refused());
    const { stdout } = await cli(['sweeps', '--json'], { ...ENV, AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });
    expect(JSON.parse(stdout)).toEqual({ error: 'Error', message: expect.stringContaining('npm start') });
  });
});

describe('the installed command against a port nobody listens on', () => {
  it('prints the one line naming AWS_ENDPOINT_URL and npm start, exit 1', async () => {
    // Arrange: a port that was free a moment ago
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });

    // Act
    const failure = await run(process.execPath, ['bin/mpu-reaper.ts', 'sweeps'], {
      env: { PATH: process.env.PATH, AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_REGION: 'us-east-1' },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );

    // Assert
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toBe(
      `mpu-reaper: nothing answers at AWS_ENDPOINT_URL=http://127.0.0.1:${port} (ECONNREFUSED): start the local stack with npm start (it prints its endpoint), or unset AWS_ENDPOINT_URL to use AWS\n`,
    );
  });
});
