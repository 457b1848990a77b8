#!/usr/bin/env node
/**
 * `npm start`: the local stack (moto_server for S3 and for DynamoDB + the local Step Functions runtime behind one AWS endpoint), the project
 * deployed on it, a short demo, then it keeps running until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_AWS_PORT, IN_MEMORY_NOTICE, startLocalStack, type LocalStack } from '../emulator/stack.ts';
import { runDemo, DEMO_BUCKET } from '../emulator/demo.ts';
// the local profile (lib/settings.json "local"): shorter waits layered on the deployed defaults, for the demo
import { LOCAL_SETTINGS } from '../lib/settings.ts';

const DEFAULT_API_PORT = 3000;

const USAGE = `Usage: npm start -- [--aws-port PORT] [--api-port PORT] [--no-demo]

Starts moto_server (one process for S3, one for DynamoDB) and the local Step Functions runtime and EventBridge behind one AWS endpoint,
deploys the records table and the state machines on it, serves the HTTP API (the same handlers as on Lambda),
runs a short demo, and keeps running until Ctrl-C.

  --aws-port PORT   port of the endpoint serving S3, DynamoDB, Step Functions and EventBridge (default ${DEFAULT_AWS_PORT}, 0: any free port)
  --api-port PORT   port of the HTTP API (default ${DEFAULT_API_PORT}, 0: any free port)
  --no-demo         skip the demo
  -h, --help        show this help`;

function portFlag(name: string, value: string | undefined, fallback: number): number {
  const port = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || value?.trim() === '') {
    process.stderr.write(`local-stack: --${name} must be a port number (0-65535), got '${value}'\n`);
    process.exit(2);
  }
  return port;
}

function parse(): { port: number; apiPort: number; demo: boolean } {
  let values: { 'aws-port'?: string; 'api-port'?: string; help?: boolean; 'no-demo'?: boolean };
  try {
    ({ values } = parseArgs({
      options: { 'aws-port': { type: 'string' }, 'api-port': { type: 'string' }, 'no-demo': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`local-stack: ${(error as Error).message.split('\n')[0]} (see --help)\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  return {
    port: portFlag('aws-port', values['aws-port'], DEFAULT_AWS_PORT),
    apiPort: portFlag('api-port', values['api-port'], DEFAULT_API_PORT),
    demo: !values['no-demo'],
  };
}

function describe(stack: LocalStack, demo: boolean): string {
  const e = stack.endpoint;
  const abortArn = stack.stateMachineArns.abortUpload;
  return [
    '',
    'mpu-reaper local stack',
    `  moto_server (S3)                 ${stack.moto.endpoint}   (port ${stack.moto.port})`,
    `  moto_server (DynamoDB)           ${stack.dynamodbMoto.endpoint}   (port ${stack.dynamodbMoto.port})`,
    `  AWS endpoint                     ${e}   (S3 + DynamoDB via moto; Step Functions and EventBridge served locally)`,
    `  HTTP API                         ${stack.apiUrl}   (POST /aborts, GET /aborts/{id}, GET /aborts, POST /sweeps, GET /sweeps/{id}, GET /sweeps)`,
    `  records table                    ${stack.tableName}`,
    ...Object.entries(stack.stateMachineArns).map(([key, arn]) => `  state machine ${key.padEnd(18)} ${arn}`),
    `  settings                         ${Object.entries(LOCAL_SETTINGS)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')} (lib/settings.json's local profile: shortened waits)`,
    '',
    ...IN_MEMORY_NOTICE.map((line) => `  ${line}`),
    '',
    'try (any credentials, region us-east-1):',
    demo
      ? `  aws --endpoint-url ${e} s3api list-multipart-uploads --bucket ${DEMO_BUCKET}`
      : `  aws --endpoint-url ${e} s3api create-bucket --bucket my-bucket`,
    `  aws --endpoint-url ${e} stepfunctions list-executions --state-machine-arn ${abortArn}`,
    `  aws --endpoint-url ${e} dynamodb scan --table-name ${stack.tableName}`,
    `  AWS_ENDPOINT_URL=${e} npx mpu-reaper --help`,
    `  AWS_ENDPOINT_URL=${e} npx mpu-reaper sweep --bucket ${DEMO_BUCKET} --older-than 1h --dry-run --wait`,
    `  AWS_ENDPOINT_URL=${e} npx mpu-reaper sweep --bucket ${DEMO_BUCKET} --older-than 0s --force --dry-run --wait   (below the 1h minimum age: --force)`,
    `  curl -s -XPOST ${stack.apiUrl}/aborts -H 'content-type: application/json' -d '{"bucket":"${DEMO_BUCKET}","key":"KEY","uploadId":"UPLOAD_ID"}'`,
    `  curl -s -XPOST ${e}/_localstack/chaos/faults -H 'content-type: application/json' -d '[{"service":"s3","operation":"ListParts","probability":0.5}]'`,
    `  aws --endpoint-url ${e} events put-events --entries '[{"Source":"mpu-reaper","DetailType":"Abort Multipart Upload Requested","Detail":"{\\"bucket\\":\\"${DEMO_BUCKET}\\",\\"key\\":\\"KEY\\",\\"uploadId\\":\\"UPLOAD_ID\\"}"}]'`,
    '',
  ].join('\n');
}

const { port, apiPort, demo } = parse();
let stack: LocalStack;
try {
  stack = await startLocalStack({ awsPort: port, apiPort, settings: LOCAL_SETTINGS, log: (line) => process.stdout.write(`  · ${line}\n`) });
} catch (error) {
  const e = error as NodeJS.ErrnoException;
  const hint = e.code === 'EADDRINUSE' ? ' (a port is taken: choose others with --aws-port / --api-port, or 0 for any free port)' : '';
  process.stderr.write(`local-stack: ${e.message}${hint}\n`);
  process.exit(1);
}

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) {
    process.stderr.write('\nforced exit\n');
    process.exit(1);
  }
  stopping = true;
  process.stdout.write(`\n${signal}: stopping the local stack …\n`);
  await stack.stop();
  process.stdout.write('stopped (moto_server included)\n');
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

process.stdout.write(`${describe(stack, demo)}\n`);
if (demo) {
  process.stdout.write('demo:\n');
  try {
    await runDemo({ endpoint: stack.endpoint, stateMachineArn: stack.stateMachineArns.abortUpload, tableName: stack.tableName });
  } catch (error) {
    if (!stopping) process.stderr.write(`demo failed: ${(error as Error).message}\n`);
  }
}
if (!stopping) process.stdout.write(`\nthe stack keeps running on ${stack.endpoint}; Ctrl-C stops it\n`);
