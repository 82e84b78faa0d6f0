/**
 * Runs one bench scenario and prints the outcome as JSON: the loss test bundles this file with
 * esbuild and starts it inside its network namespace (`ip netns exec`), where the test process
 * itself cannot go. Not a test file.
 */
import { runBench } from '../../src/bench/runner.js';
import { parseScenario } from '../../src/bench/scenario.js';

const scenario = parseScenario(JSON.parse(process.argv[2] ?? '{}'));
const controller = new AbortController();
process.once('SIGTERM', () => controller.abort());
const outcome = await runBench(scenario, { signal: controller.signal });
process.stdout.write(`${JSON.stringify(outcome)}\n`);
