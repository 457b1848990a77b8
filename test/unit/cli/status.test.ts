/** mpu-reaper status (lib/cli/status.ts): a record by id or by upload, as aligned lines (lib/cli/format.ts) or JSON. */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { cli, docMock, ID, RECORD, resetMocks, UPLOAD } from '../../support/cli.ts';

beforeEach(() => {
  resetMocks();
});

describe('mpu-reaper status', () => {
  it('prints a record by id and by upload as JSON', async () => {
    // Arrange
    docMock.on(GetCommand, { Key: { id: ID } }).resolves({ Item: { id: ID, status: 'ABORTED' } });

    // Act
    const byId = await cli(['status', ID, '--json']);
    const byUpload = await cli(['status', ...UPLOAD, '--json']);

    // Assert
    expect(byId.code).toBe(0);
    expect(JSON.parse(byId.stdout)).toEqual({ id: ID, status: 'ABORTED' });
    expect(byUpload.stdout).toBe(byId.stdout);
    expect(docMock).toHaveReceivedCommandWith(GetCommand, { TableName: 'records', Key: { id: ID }, ConsistentRead: true });
  });

  it('prints aligned field: value lines, bytes in human units, without empty error and cause', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({ Item: RECORD });

    // Act
    const { code, stdout } = await cli(['status', ID]);

    // Assert
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual([
      'id',
      'status',
      'bucket',
      'key',
      'uploadId',
      'attempts',
      'partsFound',
      'bytesFound',
      'trigger',
      'startedAt',
      'finishedAt',
      'executionArn',
      'expiresAt',
    ]);
    expect(new Set(lines.map((l) => l.search(/(?<=:\s+)\S/))).size).toBe(1);
    expect(stdout).toMatch(/^bytesFound:\s+3\.0 MiB \(3145728 bytes\)$/m);
    expect(stdout).toMatch(/^expiresAt:\s+2027-01-15T08:00:00\.000Z \(1800000000\)$/m);
  });

  it('fails with one line for an unknown id', async () => {
    // Arrange
    docMock.on(GetCommand).resolves({});

    // Act
    const { code, stdout, stderr } = await cli(['status', '0'.repeat(64)]);

    // Assert
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^mpu-reaper: status: no record with id 0{64} in records\n$/);
  });

  it.each([
    [['status'], /give a record id, or --bucket, --key and --upload-id/],
    [['status', 'abc'], /ID must be 64 lowercase hex characters/],
    [['status', ID, '--bucket', 'data-lake'], /give a record id, or --bucket, --key and --upload-id/],
    [['status', ID, ID], /one record id at most/],
    [['status', '--bucket', 'data-lake', '--key', 'k'], /--upload-id: is required/],
    [['status', '--bucket', 'B', '--key', 'k', '--upload-id', 'u'], /--bucket: must be/],
    [['status', ID, '--wait'], /Unknown option '--wait'/],
  ])('refuses %j with one line and exit 2', async (argv, message) => {
    // Act
    const { code, stderr } = await cli(argv);

    // Assert
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(docMock).not.toHaveReceivedCommand(GetCommand);
  });
});
