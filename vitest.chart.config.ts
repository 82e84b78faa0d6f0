import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['test/chart/**/*.test.ts'], testTimeout: 60_000 },
});
