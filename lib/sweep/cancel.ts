/**
 * Ending a sweep before its finish step: a cancel (API, CLI) and a stop from outside (StopExecution in the console).
 *
 * A cancel marks the sweep CANCELLED (page executions, which AWS cannot stop, read it before each page and end) and
 * stops its sweep-uploads execution. The "Execution Status Change" event of that stop, like any stop from outside,
 * reaches record-interrupted-run, which ends the sweep (STOPPED unless it was cancelled), stops the Standard executions
 * the sweep started (whether Step Functions stops .sync children with their parent is not documented: done here) and
 * rebuilds the counters from the records (lib/sweep/tally.ts).
 */
import { DescribeExecutionCommand, ListExecutionsCommand, StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { HttpError, badRequest, notFound } from '../http/errors.ts';
import { SWEEP_RECORD_TYPE, sweepStatusKey } from '../records.ts';
import type { S3Client } from '@aws-sdk/client-s3';
import { checkpointStates } from './progress.ts';
import { reconcileLanes } from './record.ts';
import type { SweepDeps } from './requests.ts';
import { tallySweep } from './tally.ts';

export const SWEEP_ID_RULE = 'must be a sweep id (1 to 80 letters, digits, - and _)';
export const isSweepId = (id: string | undefined): id is string => typeof id === 'string' && /^[0-9A-Za-z_-]{1,80}$/.test(id);

export interface CancelDeps {
  sfn: SFNClient;
  doc: DynamoDBDocumentClient;
  tableName: string;
  now?: () => Date;
}

/** what ended the sweep's execution, as the sweep record says it */
const CANCEL_ERROR = 'SweepCancelled';

/**
 * Cancels a RUNNING sweep: 400 malformed id, 404 no such sweep, 409 already ended. A sweep cancelled whose counters are
 * not rebuilt yet is cancelled again (the StopExecution is repeated: it changes nothing on an ended execution).
 */
export async function cancelSweep(deps: CancelDeps, id: string | undefined): Promise<Record<string, unknown>> {
  if (!isSweepId(id)) throw badRequest('id', SWEEP_ID_RULE);
  const { Item } = await deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: { id }, ConsistentRead: true }));
  if (!Item || Item.recordType !== SWEEP_RECORD_TYPE) throw notFound(`no sweep with id ${id}`);
  const again = Item.status === 'CANCELLED' && !Item.finishedAt;
  if (Item.status !== 'RUNNING' && !again) {
    throw new HttpError(409, 'Conflict', `sweep ${id} has already ended: ${Item.status}; only a RUNNING sweep can be cancelled`, { status: Item.status });
  }
  const cancelledAt = Item.cancelledAt ?? (deps.now?.() ?? new Date()).toISOString();
  if (!again) {
    try {
      await deps.doc.send(
        new UpdateCommand({
          TableName: deps.tableName,
          Key: { id },
          UpdateExpression: 'SET #status = :cancelled, #statusKey = :statusKey, #cancelledAt = :cancelledAt, #error = :error, #cause = :cause',
          ConditionExpression: '#status = :running AND #executionArn = :executionArn',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#statusKey': 'statusKey',
            '#cancelledAt': 'cancelledAt',
            '#executionArn': 'executionArn',
            '#error': 'error',
            '#cause': 'cause',
          },
          ExpressionAttributeValues: {
            ':cancelled': 'CANCELLED',
            ':statusKey': sweepStatusKey('CANCELLED'),
            ':running': 'RUNNING',
            ':cancelledAt': cancelledAt,
            ':executionArn': Item.executionArn,
            ':error': CANCEL_ERROR,
            ':cause': `cancelled at ${cancelledAt}; uploads it had aborted keep their records, the rest is left as it was`,
          },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      throw new HttpError(409, 'Conflict', `sweep ${id} ended while it was being cancelled`);
    }
  }
  await deps.sfn.send(new StopExecutionCommand({ executionArn: Item.executionArn, error: CANCEL_ERROR, cause: `sweep ${id} cancelled` }));
  return { ...Item, status: 'CANCELLED', cancelledAt };
}

export interface SweepMachines {
  sweepTarget: string;
  abortUpload: string;
}

/** the sweep an execution's input belongs to: sweep-target's state, abort-upload's hand-over envelope */
function sweepOf(input: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(input ?? '{}') as { state?: { sweep?: { id?: unknown } }; sweepId?: unknown };
    const id = parsed.state?.sweep?.id ?? parsed.sweepId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Stops the RUNNING sweep-target executions of the sweep (they start no more pages nor hand-overs), then its hand-overs
 * (abort-upload runs with its sweepId; the interrupted-run rule records each FAILED with the reason). Express page
 * executions cannot be stopped (StopExecution: "not supported by EXPRESS state machines"): they read the sweep's status
 * before each page and end. Returns how many executions were stopped.
 */
export async function stopSweepExecutions(sfn: SFNClient, machines: SweepMachines, sweepId: string, error: string): Promise<number> {
  let stopped = 0;
  for (const stateMachineArn of [machines.sweepTarget, machines.abortUpload]) {
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', nextToken }));
      for (const execution of page.executions ?? []) {
        const { input } = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
        if (sweepOf(input) !== sweepId) continue;
        await sfn.send(new StopExecutionCommand({ executionArn: execution.executionArn, error, cause: `sweep ${sweepId} ended` }));
        stopped += 1;
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return stopped;
}

export interface EndedSweepDeps {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** to reconcile the lanes' intents (lib/sweep/intent.ts); none: not reconciled */
  s3?: S3Client;
  intentsBucket?: string;
  sfn?: SFNClient;
  machines?: SweepMachines;
  now?: () => Date;
}

/**
 * The sweep-uploads execution ended without its finish step (ABORTED, TIMED_OUT, FAILED): the sweep becomes CANCELLED
 * (kept), STOPPED (ABORTED) or FAILED, its executions are stopped and its counters rebuilt. Only while the record is
 * that execution's and not finished.
 */
export async function endInterruptedSweep(
  deps: EndedSweepDeps,
  detail: { executionArn: string; status: string; error: string; cause: string },
): Promise<'recorded' | 'not-running'> {
  const id = detail.executionArn.split(':').pop()!; // a sweep's record id is its execution name
  const { Item } = await deps.doc.send(new GetCommand({ TableName: deps.tableName, Key: { id }, ConsistentRead: true }));
  const open = Item?.executionArn === detail.executionArn && (Item.status === 'RUNNING' || (Item.status === 'CANCELLED' && !Item.finishedAt));
  if (!open) return 'not-running';
  if (Item.status === 'RUNNING') {
    const status = detail.status === 'ABORTED' ? 'STOPPED' : 'FAILED';
    const cause =
      detail.status === 'ABORTED' ? `The execution was stopped from outside (StopExecution); counters rebuilt from the records it wrote.` : detail.cause;
    try {
      await deps.doc.send(
        new UpdateCommand({
          TableName: deps.tableName,
          Key: { id },
          UpdateExpression: 'SET #status = :status, #statusKey = :statusKey, #error = :error, #cause = :cause',
          ConditionExpression: '#executionArn = :executionArn AND #status = :running',
          ExpressionAttributeNames: { '#status': 'status', '#statusKey': 'statusKey', '#error': 'error', '#cause': 'cause', '#executionArn': 'executionArn' },
          ExpressionAttributeValues: {
            ':status': status,
            ':statusKey': sweepStatusKey(status),
            ':error': detail.error,
            ':cause': cause,
            ':executionArn': detail.executionArn,
            ':running': 'RUNNING',
          },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      return 'not-running';
    }
  }
  if (deps.sfn && deps.machines) await stopSweepExecutions(deps.sfn, deps.machines, id, Item.status === 'RUNNING' ? 'SweepStopped' : CANCEL_ERROR);
  // no resume follows: a lane whose last page died unrecorded is reconciled from its intent now
  const reconciled =
    deps.s3 && deps.intentsBucket ? await reconcileLanes(deps as SweepDeps, await checkpointStates(deps.doc, deps.tableName, Item), new Date()) : [];
  await tallySweep(deps, id, reconciled);
  return 'recorded';
}
