import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e-cluster/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
