/**
 * The sweep Lambdas' dependencies: their clients (lib/aws.ts) with more SDK attempts than the default 3, and the table.
 * One page makes hundreds of S3 and DynamoDB calls in a single invocation; a call that fails its attempts fails the
 * whole invocation (retried by Step Functions, the page listed or recorded again).
 */
import { createClients, documentClient, s3Client, type SdkOptions } from '../aws.ts';
import { requiredEnv } from '../env.ts';
import type { SweepDeps } from './requests.ts';

export const SWEEP_SDK_ATTEMPTS = 8;
export const SWEEP_SDK: SdkOptions = { maxAttempts: SWEEP_SDK_ATTEMPTS };

/** on Lambda: the process's clients, made once, with the sweep's attempts */
export function sweepDeps(sdk: SdkOptions = SWEEP_SDK): SweepDeps {
  return { s3: s3Client(sdk), doc: documentClient(sdk), ...sweepTable(process.env) };
}

/** one environment's (a local stack's) sweep clients; destroy() closes them when the stack stops */
export function sweepDepsOf(env: NodeJS.ProcessEnv): SweepDeps & { destroy(): void } {
  const clients = createClients(env, SWEEP_SDK);
  return {
    s3: clients.s3,
    doc: clients.doc,
    ...sweepTable(env),
    destroy: () => {
      clients.s3.destroy();
      clients.dynamodb.destroy();
    },
  };
}

const sweepTable = (env: NodeJS.ProcessEnv) => ({ tableName: requiredEnv('RECORDS_TABLE', env), intentsBucket: env.SWEEP_INTENTS_BUCKET || undefined });

/** the options of every sweep step's handler (lib/handler.ts) */
export const SWEEP_FUNCTION = { service: 'sweep', sdkAttempts: SWEEP_SDK_ATTEMPTS, deps: sweepDeps };
