/** The CLI's dispatch (lib/cli/main.ts, lib/cli/args.ts): --help of every command, unknown commands, --version. */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { cli, resetMocks, sfnMock } from '../../support/cli.ts';

beforeEach(() => {
  resetMocks();
});

describe('help and errors', () => {
  const FLAGS: Record<string, string[]> = {
    abort: [
      '--bucket',
      '--key',
      '--upload-id',
      '--request-payer',
      '--expected-bucket-owner',
      '--if-match-initiated-time',
      '--recheck',
      '--wait',
      '--json',
      '--state-machine-arn',
      '--table',
      '--stack',
      '--help',
    ],
    status: ['ID', '--bucket', '--key', '--upload-id', '--json', '--table', '--stack', '--help'],
    sweep: [
      '--bucket',
      '--older-than',
      '--prefix',
      '--expected-bucket-owner',
      '--dry-run',
      '--max-uploads',
      '--wait',
      '--json',
      '--state-machine-arn',
      '--table',
      '--stack',
      '--help',
    ],
    sweeps: ['--status', '--limit', '--json', '--table', '--stack', '--help'],
    'local deploy': ['--table', '--json', '--help'],
  };

  it.each(
    Object.keys(FLAGS).flatMap((command) => [
      [command, '--help'],
      [command, '-h'],
    ]),
  )('%s %s prints usage with every flag', async (command, flag) => {
    // Act
    const { code, stdout, stderr } = await cli([...command.split(' '), flag], {});

    // Assert
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(new RegExp(`^Usage: mpu-reaper ${command}`));
    for (const f of FLAGS[command]) expect(stdout).toContain(f);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('prints help even when required flags are missing', async () => {
    expect(await cli(['abort', '--bucket', 'data-lake', '--help'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: mpu-reaper abort/) });
  });

  it.each([['--help'], ['-h']])('%s lists every command', async (flag) => {
    // Act
    const { code, stdout } = await cli([flag]);

    // Assert
    expect(code).toBe(0);
    for (const command of ['abort', 'status', 'sweep', 'sweeps', 'local deploy', '--version']) expect(stdout).toContain(command);
  });

  it('prints usage on stderr with exit 2 when no command is given', async () => {
    expect(await cli([])).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^Usage: mpu-reaper/) });
  });

  it.each([
    [['sweep-everything'], /^mpu-reaper unknown command "sweep-everything"/],
    [['--force'], /^mpu-reaper unknown option "--force"/],
  ])('refuses %j with one line and exit 2', async (argv, message) => {
    // Act
    const { code, stdout, stderr } = await cli(argv);

    // Assert
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('prints the version', async () => {
    expect(await cli(['--version'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });
});
