import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ["test/e2e-cluster/**", "node_modules/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // browser and network-namespace tests share 2 cores: keep files from fighting over them
    fileParallelism: false,
    // one real control plane per run (started only when the run includes test/k8s/)
    globalSetup: ['test/support/control-plane.setup.ts'],
  },
});
