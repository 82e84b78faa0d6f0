import { defineConfig } from 'vitest/config';

// `npm run test:chart`: only the real-chart tests, so the chart must be there (in `npm test` they skip without it)
if (!process.env.JITSI_HELM_CHART_DIR && !process.env.JITSI_MEET_CHART_DIR) {
  throw new Error(
    'JITSI_HELM_CHART_DIR is not set: point it at an unpacked jitsi-meet 3.4.0 chart ' +
      '(helm pull jitsi-meet --repo https://jitsi-contrib.github.io/jitsi-helm/ --version 3.4.0 --untar)',
  );
}

export default defineConfig({
  test: { include: ['test/chart/**/*.test.ts'], testTimeout: 60_000 },
});
