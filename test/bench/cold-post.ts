/**
 * One cold start of the POST /aborts handler in a fresh process: imports functions/create-abort.ts (clients,
 * configuration) and handles one request against the local stack named by the environment. Prints
 * {"importMs":…,"firstRequestMs":…} for test/bench/run.ts.
 */
const body = process.argv[2];
const started = performance.now();
const { handler } = await import('../../functions/create-abort.ts');
const imported = performance.now();
const result = await handler({ httpMethod: 'POST', path: '/aborts', body, isBase64Encoded: false, headers: {} } as never, { awsRequestId: 'cold' } as never);
const done = performance.now();
if (result.statusCode !== 202) throw new Error(`POST /aborts answered ${result.statusCode}: ${result.body}`);
process.stdout.write(`${JSON.stringify({ importMs: imported - started, firstRequestMs: done - imported })}\n`);
