/**
 * Deploys the project onto an endpoint that speaks the DynamoDB and Step Functions APIs (the local stack, or any
 * emulator given by AWS_ENDPOINT_URL): the records table with its TTL, and every state machine of STATE_MACHINES
 * with its DefinitionSubstitutions applied. SDK calls only: nothing here knows the local runtime. Product code: the
 * CLI's `mpu-reaper local deploy` runs it, and so does the emulator when it starts (emulator/stack.ts).
 */
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { CreateStateMachineCommand, ListStateMachinesCommand, SFNClient, UpdateStateMachineCommand } from '@aws-sdk/client-sfn';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { recordsTableDefinition } from './records.ts';
import { LOCAL_ACCOUNT_ID, localSubstitutions, stateMachineType, loadDefinition, STATE_MACHINES, type Settings, type StateMachineKey } from './settings.ts';

export interface DeployLocalOptions {
  endpoint: string;
  tableName: string;
  settings?: Partial<Settings>;
  region?: string;
  /** the role named in CreateStateMachine; emulators do not assume it */
  roleArn?: string;
  log?: (line: string) => void;
}

const errorName = (error: unknown) => (error as { name?: string }).name ?? '';

/** Finds a state machine's ARN by name (ListStateMachines, every page). */
async function findStateMachineArn(sfn: SFNClient, name: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ nextToken }));
    const found = page.stateMachines?.find((m) => m.name === name);
    if (found) return found.stateMachineArn;
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

/** the intents bucket of a local deployment */
export const LOCAL_INTENTS_BUCKET = 'mpu-reaper-sweep-intents';

export async function deployLocal(options: DeployLocalOptions): Promise<Record<StateMachineKey, string>> {
  const log = options.log ?? (() => undefined);
  const config = {
    endpoint: options.endpoint,
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 2,
  };
  const dynamodb = new DynamoDBClient(config);
  const sfn = new SFNClient(config);
  try {
    // the records table, created once; a second deploy finds it in place
    try {
      await dynamodb.send(new CreateTableCommand(recordsTableDefinition(options.tableName)));
      log(`created table ${options.tableName}`);
    } catch (error) {
      if (errorName(error) !== 'ResourceInUseException') throw error;
      log(`table ${options.tableName} already exists`);
    }
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: options.tableName });
    try {
      await dynamodb.send(
        new UpdateTimeToLiveCommand({ TableName: options.tableName, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }),
      );
      log(`TTL on ${options.tableName}.expiresAt enabled`);
    } catch (error) {
      // moto answers ValidationException "TimeToLive is already enabled" on a second deploy; TTL is not essential locally
      log(`TTL on ${options.tableName}.expiresAt not changed: ${errorName(error)}: ${(error as Error).message}`);
    }

    // the sweep pages' intents (lib/sweep/intent.ts); serverless.yml's SweepIntentsBucket on AWS
    const s3 = new S3Client({ ...config, forcePathStyle: true });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: LOCAL_INTENTS_BUCKET }));
    } catch (error) {
      if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(errorName(error))) throw error;
    } finally {
      s3.destroy();
    }

    const substitutions = localSubstitutions(options.tableName, options.settings, { region: options.region ?? 'us-east-1', accountId: LOCAL_ACCOUNT_ID });
    const arns = {} as Record<StateMachineKey, string>;
    for (const [key, spec] of Object.entries(STATE_MACHINES) as Array<[StateMachineKey, (typeof STATE_MACHINES)[StateMachineKey]]>) {
      const definition = loadDefinition(spec.file, substitutions);
      const roleArn = options.roleArn ?? `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${spec.name}`;
      try {
        const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: spec.name, definition, roleArn, type: stateMachineType(key) }));
        arns[key] = stateMachineArn!;
        log(`state machine ${spec.name} deployed: ${stateMachineArn}`);
      } catch (error) {
        // AWS and other emulators refuse to create a name twice with another definition: update it instead
        if (errorName(error) !== 'StateMachineAlreadyExists') throw error;
        const stateMachineArn = await findStateMachineArn(sfn, spec.name);
        if (!stateMachineArn) throw error;
        await sfn.send(new UpdateStateMachineCommand({ stateMachineArn, definition, roleArn }));
        arns[key] = stateMachineArn;
        log(`state machine ${spec.name} updated: ${stateMachineArn}`);
      }
    }
    return arns;
  } finally {
    dynamodb.destroy();
    sfn.destroy();
  }
}
