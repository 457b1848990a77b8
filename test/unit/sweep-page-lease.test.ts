/** The page lease (lib/sweep/page-lease.ts) with mocked DynamoDB: go on from a checkpoint ahead, wait for a holder, give up. */
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LEASE_SECONDS, LEASE_WAIT_SECONDS, leasePage, PageBusy } from '../../lib/sweep/page-lease.ts';
import { checkpointId } from '../../lib/sweep/state.ts';
import { deps, docMock, resetMocks, state } from '../support/sweep-steps.ts';

beforeEach(() => {
  resetMocks();
});

const held = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const noSleep = { ...deps, sleep: async () => {} };

describe('leasePage', () => {
  it('leases the first page of a lane that has no checkpoint yet, for LEASE_SECONDS', async () => {
    // Act
    const from = await leasePage(noSleep, state(), 'run-1@t1');

    // Assert
    expect(from.seq).toBe(0);
    expect(docMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { id: checkpointId('sweep-1', 0) },
      ConditionExpression: expect.stringContaining('attribute_not_exists(#seq) OR #seq = :seq'),
      ExpressionAttributeValues: expect.objectContaining({ ':seq': 0, ':holder': 'run-1@t1' }),
    });
    const lease = docMock.commandCalls(UpdateCommand)[0].args[0].input.ExpressionAttributeValues![':lease'];
    expect(lease.until - Math.floor(deps.now().getTime() / 1000)).toBe(LEASE_SECONDS);
  });

  it("goes on from the checkpoint when it is ahead (a duplicate went on), keeping its own slice's accounting", async () => {
    // Arrange
    const ahead = state({ seq: 3, cursor: { keyMarker: 'k-030', uploadIdMarker: 'U30' }, slice: { execution: 'other', run: 'r', events: 99, full: false } });
    docMock.on(GetCommand).resolves({ Item: { state: ahead, seq: 3 } });

    // Act
    const from = await leasePage(noSleep, state(), 'run-1@t1');

    // Assert
    expect(from).toMatchObject({ seq: 3, cursor: ahead.cursor, slice: state().slice });
    expect(docMock).toHaveReceivedCommandWith(UpdateCommand, { ExpressionAttributeValues: expect.objectContaining({ ':seq': 3 }) });
  });

  it('waits while another execution holds the page, then leases it', async () => {
    // Arrange
    docMock.on(UpdateCommand).rejectsOnce(held()).resolves({});
    let slept = 0;

    // Act
    const sleep = async () => {
      slept += 1;
    };
    await leasePage({ ...deps, sleep }, state(), 'run-1@t1');

    // Assert
    expect(slept).toBe(1);
    expect(docMock).toHaveReceivedCommandTimes(UpdateCommand, 2);
  });

  it('gives up with PageBusy (retried by the List state) after LEASE_WAIT_SECONDS', async () => {
    docMock.on(UpdateCommand).rejects(held());
    await expect(leasePage(noSleep, state(), 'run-1@t1')).rejects.toBeInstanceOf(PageBusy);
    expect(docMock).toHaveReceivedCommandTimes(UpdateCommand, LEASE_WAIT_SECONDS + 1);
  });
});
