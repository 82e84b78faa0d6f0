/**
 * The load generator as one self-contained program: `npm run build` bundles this file with
 * esbuild into dist/worker.mjs (every dependency inside), which the coordinator ships in the Job's
 * ConfigMap. A pod runs `node /worker/worker.mjs --spec … --shard …` in the stock puppeteer image:
 * no registry, no install at start. Same behaviour as `jitsi-k8s bench worker`.
 */
import { parseArgs } from 'node:util';
import { CommandError, InterruptedError, UsageError } from '../../errors.js';
import { installStopSignals, interruptedBy, interruptSignal, setStopGrace, STOP_EXIT_CODES } from '../../interrupt.js';
import { createLogger } from '../../ui/log.js';
import { findBrowser } from '../find-browser.js';
import { STOP_GRACE_MS } from '../runner.js';
import { credentialsFromEnv, lineWriter, readWorkerSpec, runWorker } from './worker.js';

async function main(argv: string[]): Promise<number> {
  const log = createLogger();
  try {
    let o: { spec?: string; shard?: string; browser?: string };
    try {
      o = parseArgs({ args: argv, options: { spec: { type: 'string' }, shard: { type: 'string' }, browser: { type: 'string' } }, strict: true }).values;
    } catch (e) {
      throw new UsageError((e as Error).message, 'usage: node worker.mjs --spec <worker.json> --shard <index> [--browser <chrome>]');
    }
    if (!o.spec) throw new UsageError('--spec is required', 'the Job passes the worker.json of its ConfigMap');
    if (!o.shard || !/^\d+$/.test(o.shard)) throw new UsageError(`--shard: a whole number (got "${o.shard ?? ''}")`, 'the Job passes $(JOB_COMPLETION_INDEX)');
    const spec = readWorkerSpec(o.spec);
    const browser = findBrowser(o.browser);
    log.info(`browser: ${browser}`);
    const out = lineWriter((text) => process.stdout.write(text));
    const r = await runWorker({ spec, shard: Number(o.shard), signal: interruptSignal(), out, log, browser, credentials: credentialsFromEnv(process.env) });
    log.info(`shard ${o.shard}: ${r.joined} joined, ${r.failed} failed, ${out.count} records`);
    if (interruptSignal().aborted) throw interruptSignal().reason as Error;
    return 0;
  } catch (e) {
    // the coordinator tells a worker stopped by the kubelet's SIGTERM (143) from one that died
    if (e instanceof InterruptedError) {
      log.error(e.message);
      return STOP_EXIT_CODES[interruptedBy() ?? 'SIGINT'];
    }
    const hint = e instanceof UsageError || e instanceof CommandError ? e.hint : undefined;
    log.error((e as Error).message, hint);
    return e instanceof UsageError ? 2 : 1;
  }
}

// the worker's own bound, well inside the pod's terminationGracePeriodSeconds (job.ts): exit 143 before the kubelet's SIGKILL (137, a death)
setStopGrace(STOP_GRACE_MS);
installStopSignals((code) => process.exit(code));
process.exitCode = await main(process.argv.slice(2));
