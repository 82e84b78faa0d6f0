/**
 * Starts the loopback conference on 127.0.0.1 and prints its URL: the worker-pod test bundles
 * this file and runs it inside its network namespace, where the test process itself cannot go.
 * Runs until SIGTERM. Not a test file.
 */
import { startLoopbackConference } from '../../src/bench/loopback/server.js';

const conf = await startLoopbackConference('127.0.0.1');
process.stdout.write(`${conf.url}\n`);
process.once('SIGTERM', () => void conf.close().then(() => process.exit(0)));
