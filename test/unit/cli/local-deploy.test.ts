/** mpu-reaper local deploy (lib/cli/local-deploy.ts), with deployLocal (lib/deploy-local.ts) mocked. */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { cli } from '../../support/cli.ts';

const deployLocal = vi.hoisted(() => vi.fn());
vi.mock('../../../lib/deploy-local.ts', () => ({ deployLocal }));

beforeEach(() => {
  deployLocal.mockReset();
});

describe('mpu-reaper local deploy', () => {
  const ARNS = { abortUpload: 'arn:aws:states:us-east-1:123456789012:stateMachine:mpu-reaper-abort-upload', sweepPage: 'arn:…:sweep-page' };

  it('needs AWS_ENDPOINT_URL', async () => {
    // Act
    const result = await cli(['local', 'deploy'], {});

    // Assert
    expect(result).toMatchObject({
      code: 2,
      stdout: '',
      stderr: expect.stringMatching(/^mpu-reaper local deploy: AWS_ENDPOINT_URL must name the local endpoint.*\n$/),
    });
    expect(deployLocal).not.toHaveBeenCalled();
  });

  it('deploys to the endpoint and prints the table and the state machines', async () => {
    // Arrange
    deployLocal.mockResolvedValue(ARNS);

    // Act
    const { code, stdout } = await cli(['local', 'deploy'], { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });

    // Assert
    expect(code).toBe(0);
    expect(deployLocal).toHaveBeenCalledWith(expect.objectContaining({ endpoint: 'http://127.0.0.1:4566', tableName: 'mpu-reaper-records' }));
    expect(stdout).toContain('mpu-reaper-records');
    expect(stdout).toContain(ARNS.abortUpload);
    expect(stdout).toContain(ARNS.sweepPage);
  });

  it('prints one JSON document with --json and uses --table', async () => {
    // Arrange
    deployLocal.mockImplementation(async (options: { log?: (line: string) => void }) => {
      options.log?.('created table t');
      return ARNS;
    });

    // Act
    const { code, stdout } = await cli(['local', 'deploy', '--json', '--table', 't'], { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });

    // Assert
    expect(code).toBe(0);
    expect(deployLocal).toHaveBeenCalledWith(expect.objectContaining({ tableName: 't' }));
    expect(JSON.parse(stdout)).toEqual({ endpoint: 'http://127.0.0.1:4566', tableName: 't', stateMachineArns: ARNS });
  });

  it.each([[['local']], [['local', 'destroy']], [['local', 'deploy', '--force']]])('refuses %j with one line and exit 2', async (argv) => {
    // Act
    const { code, stdout, stderr } = await cli(argv, { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });

    // Assert
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(deployLocal).not.toHaveBeenCalled();
  });
});
