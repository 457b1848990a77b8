import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // integration files each start their own moto_server; two cores → two at a time
    maxWorkers: 2,
  },
});
