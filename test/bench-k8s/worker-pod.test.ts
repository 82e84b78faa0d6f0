/**
 * The load generator exactly as a pod of the Job runs it: the command line, environment and
 * ConfigMap files are read from the rendered Job and ConfigMap (the ConfigMap's mount path mapped
 * to a temp dir), Chrome only where the official puppeteer image keeps it (a temp HOME whose
 * ~/.cache/puppeteer/chrome/linux-<version>/chrome-linux64/chrome links to the system Chromium),
 * and no network: it runs in a network namespace this test creates, with only lo and a veth pair
 * whose both ends stay inside (Chrome gathers no ICE candidates on lo alone). The Jitsi site it
 * joins is the loopback conference, started inside the same namespace. Needs root (ip netns).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cluster/exec.js';
import { readWorkerBundle, workerBundlePath } from '../../src/bench/k8s/bundle.js';
import { buildConfigMap, buildJob, DEFAULT_WORKER_IMAGE, WORKER_MOUNT } from '../../src/bench/k8s/job.js';
import { BUILT_IN_COSTS, podCost } from '../../src/bench/capacity.js';
import { shardAssignment } from '../../src/bench/k8s/shard.js';
import { assignParticipants, parseScenario } from '../../src/bench/scenario.js';
import type { SampleRecord } from '../../src/bench/samples.js';
import { chromiumBin, repoRoot } from '../support/tools.js';
import { vethNamespace } from '../support/veth-netns.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ns = `jk8s-pod-${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'jk8s-pod-'));
// inside node_modules so the helper's bare imports (ws, werift) resolve
const helperDir = join(repoRoot, 'node_modules', '.cache', 'jitsi-k8s-tests');
const helper = join(helperDir, `netns-conference-${process.pid}.mjs`);
const ip = (...args: string[]) => run('ip', args, { timeoutMs: 15_000 });
let conference: ChildProcess | undefined;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('the worker-pod test needs root (ip netns); run the tests as root');
  // the program the Job ships, built from the current source
  await run(process.execPath, [join(repoRoot, 'scripts/build-worker.mjs')], { timeoutMs: 120_000 });
  await vethNamespace(ns, ['jk8sp', 'jk8sq'], '10.98.0');
  mkdirSync(helperDir, { recursive: true });
  await build({
    entryPoints: [join(repoRoot, 'test/bench-k8s/netns-conference.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: helper,
    logLevel: 'error',
  });
}, 180_000);

afterAll(async () => {
  conference?.kill('SIGTERM');
  await ip('netns', 'del', ns).catch(() => {});
  rmSync(helper, { force: true });
  rmSync(work, { recursive: true, force: true });
});

/** The conference inside the namespace; resolves with its URL. */
async function startConference(): Promise<string> {
  conference = spawn('ip', ['netns', 'exec', ns, process.execPath, helper], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = createInterface({ input: conference.stdout! })[Symbol.asyncIterator]().next();
  const line = await Promise.race([first, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the conference did not start')), 30_000))]);
  return String(line.value).trim();
}

describe('the worker as a pod runs it', () => {
  it('starts from the ConfigMap with node, finds Chrome in the image cache, joins without network', async () => {
    const url = await startConference();
    const scenario = parseScenario({
      target: 'jitsi',
      url,
      participants: 2,
      rooms: 1,
      senders: 1,
      durationMs: '4s',
      rampPerSecond: '5/s',
      cooldownMs: '0s',
      sampleIntervalMs: '1s',
    });
    const plan = assignParticipants(scenario);
    const shards = shardAssignment(plan, { perPod: 2 });
    const senders = new Set(plan.participants.filter((p) => p.role === 'sender').map((p) => p.index));
    const input = {
      runId: 'pod1',
      step: 0,
      bridges: 1,
      namespace: 'jitsi-k8s-bench',
      scenario: { ...scenario, browser: undefined, outDir: '-' },
      shards,
      startAtMs: Date.now() + 4_000,
      image: DEFAULT_WORKER_IMAGE,
      workerBundle: readWorkerBundle(workerBundlePath(join(repoRoot, 'src', 'x.ts'))),
      cost: podCost(scenario, BUILT_IN_COSTS),
      deadlineSeconds: 300,
    };
    const cm = buildConfigMap(input) as Any;
    const job = buildJob(input, senders) as Any;
    const pod = job.spec.template.spec;
    const container = pod.containers[0];
    // the ConfigMap volume as the kubelet writes it: one file per key
    const mountDir = join(work, 'worker');
    mkdirSync(mountDir);
    const mount = container.volumeMounts.find((m: Any) => m.mountPath === WORKER_MOUNT);
    expect(pod.volumes.find((v: Any) => v.name === mount.name).configMap.name).toBe(cm.metadata.name);
    for (const [k, v] of Object.entries(cm.data as Record<string, string>)) writeFileSync(join(mountDir, k), v);
    for (const [k, v] of Object.entries(cm.binaryData as Record<string, string>)) writeFileSync(join(mountDir, k), Buffer.from(v, 'base64'));
    // the image's user home: Chrome where `npx puppeteer browsers install chrome` puts it
    const home = join(work, 'home', 'pptruser');
    const chrome = join(home, '.cache', 'puppeteer', 'chrome', 'linux-143.0.7499.169', 'chrome-linux64', 'chrome');
    mkdirSync(dirname(chrome), { recursive: true });
    symlinkSync(chromiumBin(), chrome);
    // the root filesystem is read-only: the one writable place is the emptyDir the Job mounts (here a temp dir)
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    const tmpMount = container.volumeMounts.find((m: Any) => pod.volumes.find((v: Any) => v.name === m.name)?.emptyDir && m.mountPath !== '/dev/shm');
    const tmpDir = join(work, 'tmp');
    mkdirSync(tmpDir);
    const inPod = (v: string) => (v.startsWith(tmpMount.mountPath) ? tmpDir + v.slice(tmpMount.mountPath.length) : v.startsWith('/home/pptruser') ? home + v.slice('/home/pptruser'.length) : v);
    // the container's environment: the Job's, with the values Kubernetes fills in, and the image's HOME and PATH
    const env: Record<string, string> = { HOME: home, PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, JOB_COMPLETION_INDEX: '0' };
    for (const e of container.env as Any[])
      env[e.name] = e.value !== undefined ? inPod(e.value) : e.valueFrom.fieldRef.fieldPath === 'spec.nodeName' ? 'node-a' : 'jk8s-bench-pod1-s0-0-abcde';
    // the image's home is not where the worker writes: Chrome's profile and the unpacked program land in the emptyDir
    expect(env.HOME).toBe(tmpDir);
    const argv = [...container.command, ...container.args].map((a: string) =>
      a.replace('$(JOB_COMPLETION_INDEX)', env.JOB_COMPLETION_INDEX!).replace(WORKER_MOUNT, mountDir),
    );
    expect(argv[0]).toBe('node');
    const r = await new Promise<{ exitCode: number; stdout: string; stderr: string }>((resolve) => {
      const args = ['netns', 'exec', ns, 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv];
      execFile('ip', args, { timeout: 150_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
        resolve({ exitCode: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(r.stderr).toContain(`browser: ${chrome}`);
    expect(r.exitCode, r.stderr).toBe(0);
    // nothing was written into the image's home (read-only in the pod)
    expect(readdirSync(home).sort()).toEqual(['.cache']);
    expect(readdirSync(tmpDir).some((f) => f.startsWith('jitsi-k8s-worker-'))).toBe(true);
    const records = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as SampleRecord);
    const joined = records.filter((x) => x.kind === 'event' && x.event === 'joined').map((x) => (x as { participant?: string }).participant);
    expect(joined.sort()).toEqual(['bench-1', 'bench-2']);
    expect(records.some((x) => x.kind === 'participant' && x.phase === 'steady' && x.audio.packetsReceived > 0)).toBe(true);
  }, 240_000);
});
