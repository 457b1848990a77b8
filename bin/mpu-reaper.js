#!/usr/bin/env node
// The CLI's entry for npm: in the repository its TypeScript source (the project's Node strips types); in a package
// packed from the repository (npm pack) the JavaScript bundle the prepack script built, since Node does not strip
// types under node_modules.
import { existsSync } from 'node:fs';

const source = new URL('./mpu-reaper.ts', import.meta.url);
await import(existsSync(source) ? source.href : new URL('../dist/cli/bin/mpu-reaper.js', import.meta.url).href);
