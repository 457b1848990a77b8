import { defineConfig } from 'vitest/config';

// The project brings Node 22 (node_modules/.bin/node); `npm test` puts it first on PATH. Running vitest with an
// older node would fail every execution deep inside aws-local-stepfunctions (Promise.withResolvers): say so at once.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  throw new Error(`tests need Node ≥ 22 and this is ${process.version}: run them with \`npm test\`, which uses the project's own Node 22`);
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // one directory per run in which the template test files share one packaged stack (test/support/template/package.ts)
    globalSetup: ['test/support/template/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // integration files each start their own moto_server; two cores → two at a time
    maxWorkers: 2,
  },
});
