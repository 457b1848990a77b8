/**
 * mpu-reaper sweep's safety rails (lib/cli/sweep.ts, lib/cli/interrupt.ts): an age below the minimum is refused unless
 * --force; --wait names the sweep when it starts; Ctrl-C stops the waiting, not the sweep, and says how to follow it.
 */
import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { DescribeExecutionCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { cli, docMock, resetMocks, sfnMock } from '../../support/cli.ts';

const ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:s3-mpu-reaper-dev-sweep-uploads';
const ENV = { MPU_REAPER_SWEEP_STATE_MACHINE_ARN: ARN, MPU_REAPER_TABLE: 'records' };

beforeEach(() => {
  resetMocks();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:us-east-1:111122223333:execution:sweep:x', startDate: new Date() });
});

const startedName = () => sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input.name!;

describe('mpu-reaper sweep: the minimum age', () => {
  it.each(['30m', '0s', '59m59s'])('refuses --older-than %s with exit 2, one line naming --force, nothing started', async (age) => {
    // Act
    const { code, stdout, stderr } = await cli(['sweep', '--bucket', 'data-a', '--older-than', age], ENV);

    // Assert
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^mpu-reaper sweep: --older-than: is ${age}, below the minimum age of 1h .*add --force`));
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('starts a young sweep with --force, and says force in its input (the sweep checks the minimum again)', async () => {
    // Act
    const { code } = await cli(['sweep', '--bucket', 'data-a', '--older-than', '0s', '--force'], ENV);

    // Assert
    expect(code).toBe(0);
    expect(JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input.input!)).toEqual({
      targets: [{ bucket: 'data-a', olderThan: '0s' }],
      force: true,
      trigger: 'cli',
    });
  });

  it('says --force in its help', async () => {
    const { stdout } = await cli(['sweep', '--help'], ENV);
    expect(stdout).toMatch(/--force\s+allow an --older-than below the minimum age \(SweepMinimumAge\)/);
  });
});

describe('mpu-reaper sweep --wait and Ctrl-C', () => {
  it('prints the sweep id when it starts', async () => {
    // Arrange
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    docMock.on(GetCommand).resolves({ Item: { id: 's', recordType: 'sweep', status: 'COMPLETED', found: 0 } });

    // Act
    const { stdout } = await cli(['sweep', '--bucket', 'data-a', '--older-than', '1d', '--wait'], ENV);
    const json = await cli(['sweep', '--bucket', 'data-a', '--older-than', '1d', '--wait', '--json'], ENV);

    // Assert: first line of the output; with --json on stderr (the progress after it), stdout staying one JSON document
    expect(stdout.split('\n')[0]).toBe(`started sweep ${startedName()}`);
    expect(json.stderr).toMatch(/^started sweep sweep-\S+\n\[█+\] 0 of 0 · /);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'COMPLETED' });
  });

  it('on Ctrl-C leaves the sweep running, prints one line with the id and the commands to follow or cancel it, exits 130', async () => {
    // Arrange: the sweep is running; Ctrl-C comes while the CLI sleeps between two polls
    const signals = new EventEmitter();
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    docMock.on(GetCommand).resolves({ Item: { id: 's', recordType: 'sweep', status: 'RUNNING', found: 1 } });
    const sleep = async () => {
      signals.emit('SIGINT');
    };

    // Act
    const { code, stderr } = await cli(['sweep', '--bucket', 'data-a', '--older-than', '1d', '--wait'], ENV, { sleep, signals });

    // Assert
    const id = startedName();
    expect(code).toBe(130);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`interrupted: sweep ${id} keeps running; follow it with: mpu-reaper sweeps ${id}; stop it with: mpu-reaper sweep cancel ${id}`);
    expect(sfnMock).not.toHaveReceivedCommand(StopExecutionCommand);
    expect(signals.listenerCount('SIGINT')).toBe(0);
  });

  it('answers Ctrl-C at once even while a request hangs', async () => {
    // Arrange: DescribeExecution never answers
    const signals = new EventEmitter();
    sfnMock.on(DescribeExecutionCommand).callsFake(() => new Promise(() => undefined));
    setTimeout(() => signals.emit('SIGINT'), 20);

    // Act
    const { code, stderr } = await cli(['sweep', '--bucket', 'data-a', '--older-than', '1d', '--wait', '--json'], ENV, { signals });

    // Assert
    expect(code).toBe(130);
    expect(stderr).toMatch(/^started sweep (\S+)\ninterrupted: sweep \1 keeps running/);
  });
});
