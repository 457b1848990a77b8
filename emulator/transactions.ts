/**
 * DynamoDB TransactWriteItems as the local stack serves it. moto_server's own copies every named table per item
 * before it writes (O(records) per transaction: gigabytes after a 20,000-upload sweep) and isolates nothing. Here the
 * endpoint runs each transaction alone against moto, as single-item writes carrying each item's own condition, and
 * puts back what it wrote when any item is refused. While it runs no other DynamoDB request reaches that moto_server:
 * "TransactWriteItems … serializable" with other operations on its items (DynamoDB Developer Guide, "Isolation levels
 * for DynamoDB transactions"); all of them waiting is at least as strict. The ledger relies on it (lib/ledger.ts).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Upstream } from './chaos.ts';
import { AWS_JSON_1_0, awsJsonErrorBody, AWS_JSON_ERROR_NAMESPACES, header } from './wire.ts';

export const isTransactWrite = (req: IncomingMessage): boolean => header(req.headers, 'x-amz-target') === 'DynamoDB_20120810.TransactWriteItems';

/** Many share, one excludes all; first come, first served (a waiting transaction holds back later requests). */
export class ReadWriteLock {
  private readers = 0;
  private writer = false;
  private readonly waiting: Array<{ exclusive: boolean; go: () => void }> = [];

  async hold<T>(exclusive: boolean, work: () => Promise<T>): Promise<T> {
    if (this.waiting.length > 0 || !this.free(exclusive)) await new Promise<void>((go) => this.waiting.push({ exclusive, go }));
    else this.take(exclusive);
    try {
      return await work();
    } finally {
      if (exclusive) this.writer = false;
      else this.readers -= 1;
      while (this.waiting.length > 0 && this.free(this.waiting[0].exclusive)) {
        const next = this.waiting.shift() as { exclusive: boolean; go: () => void };
        this.take(next.exclusive);
        next.go();
      }
    }
  }

  private free = (exclusive: boolean) => !this.writer && (!exclusive || this.readers === 0);

  private take(exclusive: boolean) {
    if (exclusive) this.writer = true;
    else this.readers += 1;
  }
}

/** what the transactions on one moto_server share: the endpoint's and the Tasks' proxies reach the same tables */
interface Shared {
  lock: ReadWriteLock;
  /** ClientRequestToken → the request it wrote, and when (seconds) */
  tokens: Map<string, { request: string; at: number }>;
}
const sharedByMoto = new Map<string, Shared>();
const sharedOf = (motoUrl: string): Shared => {
  const shared = sharedByMoto.get(motoUrl) ?? { lock: new ReadWriteLock(), tokens: new Map() };
  sharedByMoto.set(motoUrl, shared);
  return shared;
};

/** runs `work` under the lock until the client's answer is over (or the client has gone) */
const answering = (lock: ReadWriteLock, exclusive: boolean, res: ServerResponse, work: () => void | Promise<void>) =>
  lock.hold(
    exclusive,
    () =>
      new Promise<void>((resolve) => {
        // a client that gave up while its request waited: nothing to send (its 'close' has passed)
        if (res.closed || res.destroyed) return resolve();
        res.once('close', resolve);
        Promise.resolve(work()).catch(() => resolve());
      }),
  );

/** Every other DynamoDB request to `motoUrl`: many at once, none while a transaction runs. */
export function sharingTransactions(upstream: Upstream, motoUrl: string): Upstream {
  const { lock } = sharedOf(motoUrl);
  return {
    answer: (req, res) => answering(lock, false, res, () => upstream.answer(req, res)),
    apply: (req) => lock.hold(false, () => upstream.apply(req)),
  };
}

interface Answer {
  status: number;
  body: string;
  contentType?: string;
}

type Json = Record<string, unknown>;
type Operation = 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
const OPERATIONS: readonly Operation[] = ['Put', 'Update', 'Delete', 'ConditionCheck'];
/** DynamoDB API reference, TransactWriteItems: "Array Members: Minimum number of 1 item. Maximum number of 100 items." */
const MAX_ITEMS = 100;
/** DynamoDB API reference, TransactWriteItems, ClientRequestToken: "valid for 10 minutes after the first request" */
const TOKEN_SECONDS = 600;
/** never an attribute of the project's: the no-op of a ConditionCheck run as an UpdateItem */
const CHECK_ATTRIBUTE = 'local-stack-condition-check';

const error = (status: number, code: string, message: string, extra: Json = {}): Answer => ({
  status,
  body: extra.CancellationReasons
    ? JSON.stringify({ __type: `${AWS_JSON_ERROR_NAMESPACES.dynamodb}#${code}`, Message: message, ...extra })
    : awsJsonErrorBody(code, message, AWS_JSON_ERROR_NAMESPACES.dynamodb),
});
const invalid = (message: string) => error(400, 'ValidationException', message);

/** The TransactWriteItems of one moto_server (`motoUrl`), each alone (see the module's comment). */
export function transactWriteItems(motoUrl: string): Upstream {
  const { lock, tokens } = sharedOf(motoUrl);
  const run = async (req: IncomingMessage): Promise<Answer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const moto = motoCaller(motoUrl, req.headers);
    let body: Json;
    try {
      body = JSON.parse(text) as Json;
    } catch {
      // moto_server answers 200 to a body that is not JSON; DynamoDB refuses it
      return { status: 400, body: awsJsonErrorBody('SerializationException', 'The request body is not valid JSON', 'com.amazon.coral.service') };
    }
    const { ClientRequestToken: token, ...request } = body;
    const now = Date.now() / 1000;
    for (const [t, seen] of tokens) if (now - seen.at > TOKEN_SECONDS) tokens.delete(t);
    const seen = typeof token === 'string' ? tokens.get(token) : undefined;
    if (seen) {
      // "the subsequent TransactWriteItems calls with the same client token return successfully without making any changes"
      if (seen.request === JSON.stringify(request)) return { status: 200, body: '{}' };
      return error(400, 'IdempotentParameterMismatchException', 'The request uses the same client token as a previous, but non-identical request.');
    }
    const answer = await transact(moto, request.TransactItems);
    if (answer.status === 200 && typeof token === 'string') tokens.set(token, { request: JSON.stringify(request), at: now });
    return answer;
  };
  const write = (res: ServerResponse, answer: Answer) => {
    res.writeHead(answer.status, { 'content-type': answer.contentType ?? AWS_JSON_1_0, 'x-amzn-requestid': randomUUID() }).end(answer.body);
  };
  return {
    answer: (req, res) => answering(lock, true, res, async () => write(res, await run(req).catch((e: Error) => error(500, 'InternalServerError', e.message)))),
    apply: (req) => lock.hold(true, async () => void (await run(req))),
  };
}

export type Moto = (operation: string, body: Json | string) => Promise<Answer>;

/** a DynamoDB call to moto_server, signed as the transaction was (moto reads the account and region from it) */
const motoCaller =
  (motoUrl: string, headers: IncomingHttpHeaders): Moto =>
  async (operation, body) => {
    const response = await fetch(motoUrl, {
      method: 'POST',
      headers: {
        'content-type': AWS_JSON_1_0,
        'x-amz-target': `DynamoDB_20120810.${operation}`,
        ...(headers.authorization ? { authorization: String(headers.authorization) } : {}),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: await response.text(), contentType: response.headers.get('content-type') ?? undefined };
  };

interface Step {
  operation: Operation;
  input: Json;
  table: string;
  key: Json;
}

/** the items as steps, or the ValidationException DynamoDB answers before it writes anything */
async function steps(moto: Moto, items: unknown): Promise<Step[] | Answer> {
  if (!Array.isArray(items) || items.length < 1)
    return invalid("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
  if (items.length > MAX_ITEMS)
    return invalid("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100");
  const result: Step[] = [];
  const targets = new Set<string>();
  for (const item of items as Json[]) {
    const named = OPERATIONS.filter((o) => item?.[o] !== undefined);
    if (named.length !== 1) return invalid('TransactItems can only contain one of Check, Put, Update or Delete');
    const operation = named[0];
    const input = item[operation] as Json;
    const table = String(input.TableName);
    let key = input.Key as Json | undefined;
    if (operation === 'Put') {
      const described = await moto('DescribeTable', { TableName: table });
      if (described.status !== 200) return described;
      const schema = (JSON.parse(described.body) as { Table: { KeySchema: Array<{ AttributeName: string }> } }).Table.KeySchema;
      const attributes = (input.Item ?? {}) as Json;
      key = Object.fromEntries(schema.map(({ AttributeName }) => [AttributeName, attributes[AttributeName]]));
    }
    if (!key)
      return invalid(
        `1 validation error detected: Value null at 'transactItems.${result.length + 1}.member.${operation.toLowerCase()}.key' failed to satisfy constraint: Member must not be null`,
      );
    const target = `${table}\u0000${JSON.stringify(Object.entries(key).sort(([a], [b]) => a.localeCompare(b)))}`;
    if (targets.has(target)) return invalid('Transaction request cannot include multiple operations on one item');
    targets.add(target);
    result.push({ operation, input, table, key });
  }
  return result;
}

/** the single-item write of a step (ReturnValuesOnConditionCheckFailure as the item asked) */
function singleWrite(step: Step): [string, Json] {
  const { input } = step;
  const common = {
    TableName: step.table,
    ...(input.ConditionExpression !== undefined ? { ConditionExpression: input.ConditionExpression } : {}),
    ...(input.ExpressionAttributeNames !== undefined ? { ExpressionAttributeNames: input.ExpressionAttributeNames } : {}),
    ...(input.ExpressionAttributeValues !== undefined ? { ExpressionAttributeValues: input.ExpressionAttributeValues } : {}),
    ...(input.ReturnValuesOnConditionCheckFailure !== undefined ? { ReturnValuesOnConditionCheckFailure: input.ReturnValuesOnConditionCheckFailure } : {}),
  };
  switch (step.operation) {
    case 'Put':
      return ['PutItem', { ...common, Item: input.Item }];
    case 'Delete':
      return ['DeleteItem', { ...common, Key: step.key }];
    case 'Update':
      return ['UpdateItem', { ...common, Key: step.key, UpdateExpression: input.UpdateExpression }];
    case 'ConditionCheck':
      // the condition evaluated by a write that changes nothing (an item it creates is put back with the rest)
      return [
        'UpdateItem',
        {
          ...common,
          Key: step.key,
          UpdateExpression: 'REMOVE #check',
          ExpressionAttributeNames: { ...(common.ExpressionAttributeNames as Json), '#check': CHECK_ATTRIBUTE },
        },
      ];
  }
}

const errorType = (answer: Answer): string => {
  try {
    return String((JSON.parse(answer.body) as Json).__type ?? '').replace(/^.*#/, '');
  } catch {
    return '';
  }
};

/** Runs the items (the lock held): every write or none, with DynamoDB's answer. */
export async function transact(moto: Moto, items: unknown): Promise<Answer> {
  const planned = await steps(moto, items);
  if (!Array.isArray(planned)) return planned;
  const before: Array<Json | undefined> = [];
  for (const step of planned) {
    const got = await moto('GetItem', { TableName: step.table, Key: step.key, ConsistentRead: true });
    if (got.status !== 200) return got;
    before.push((JSON.parse(got.body) as { Item?: Json }).Item);
  }
  const written: number[] = [];
  const reasons: Json[] = [];
  let refusal: Answer | undefined;
  let ran = false;
  try {
    for (const [i, step] of planned.entries()) {
      const answer = await moto(...singleWrite(step));
      if (answer.status === 200) {
        written.push(i);
        reasons.push({ Code: 'None' });
      } else if (errorType(answer) === 'ConditionalCheckFailedException') {
        // every item's condition is evaluated: CancellationReasons names each one refused (DynamoDB API reference)
        const old = (JSON.parse(answer.body) as { Item?: Json }).Item;
        reasons.push({ Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(old ? { Item: old } : {}) });
      } else {
        refusal = answer; // a ValidationException and the like: DynamoDB refuses the whole request
        break;
      }
    }
    ran = true;
  } finally {
    // moto unreachable halfway (a throw) cancels too: what was written goes back before the 500
    const cancelled = !ran || refusal !== undefined || reasons.some((r) => r.Code !== 'None');
    const putBack = cancelled ? written : planned.flatMap((s, i) => (s.operation === 'ConditionCheck' ? [i] : []));
    for (const i of putBack.reverse()) await restore(moto, planned[i], before[i]);
  }
  if (refusal) return refusal;
  if (reasons.every((r) => r.Code === 'None')) return { status: 200, body: '{}' };
  const codes = reasons.map((r) => r.Code).join(', ');
  return error(400, 'TransactionCanceledException', `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes}]`, {
    CancellationReasons: reasons,
  });
}

/** puts an item back as it was before the transaction */
async function restore(moto: Moto, step: Step, old: Json | undefined): Promise<void> {
  const answer = old ? await moto('PutItem', { TableName: step.table, Item: old }) : await moto('DeleteItem', { TableName: step.table, Key: step.key });
  if (answer.status !== 200) throw new Error(`the local stack could not put back ${step.table} ${JSON.stringify(step.key)}: ${answer.body}`);
}
