#!/usr/bin/env node
import { INTERRUPTED_EXIT } from '../lib/cli/interrupt.ts';
import { main } from '../lib/cli/main.ts';

const code = await main(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr });
// after Ctrl-C nothing the command started is waited for (a request in flight, the poll's timer): leave now
if (code === INTERRUPTED_EXIT) process.exit(code);
process.exitCode = code;
