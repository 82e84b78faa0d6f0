/**
 * Every pod jitsi-k8s itself creates passes the "restricted" Pod Security Standard, decided by the REAL
 * API server's admission in a namespace labelled `pod-security.kubernetes.io/enforce: restricted`:
 * the bench Job's pods (the real Job controller creates them), the deletion-cost keeper and Newt
 * (their Deployments' ReplicaSets create them). A pod without a securityContext is refused there, so
 * the namespace really enforces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfigMap, buildJob, jobName, type WorkerJobInput } from '../../src/bench/k8s/job.js';
import { shardAssignment } from '../../src/bench/k8s/shard.js';
import { assignParticipants, parseScenario } from '../../src/bench/scenario.js';
import { renderRelease } from '../../src/render/index.js';
import { config, FIXED_SECRETS } from '../support/config.js';
import { cluster, kubectl, kubectlJson, skipReason } from '../support/control-plane.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ns = `jk8s-restricted-${Date.now().toString(36).slice(-5)}`;

beforeAll(() => {
  if (!cluster) return;
  kubectl(['create', 'namespace', ns]);
  kubectl(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted']);
});

afterAll(() => {
  if (cluster) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
});

async function within<T>(ms: number, what: string, get: () => T | undefined): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() - start > ms) throw new Error(`${what} not within ${ms / 1000}s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Pods with the label selector, once there are `count`; else the owner's FailedCreate events say why. */
async function podsOf(selector: string, count: number, owner: string): Promise<Any[]> {
  try {
    return await within(30_000, `${count} pods of ${owner}`, () => {
      const items = kubectlJson<{ items: Any[] }>(['get', 'pods', '-n', ns, '-l', selector]).items;
      return items.length >= count ? items : undefined;
    });
  } catch (e) {
    const events = kubectlJson<{ items: Any[] }>(['get', 'events', '-n', ns]).items.map((x) => `${x.involvedObject.name}: ${x.reason} ${x.message}`);
    throw new Error(`${(e as Error).message}\n${events.join('\n')}`);
  }
}

describe.skipIf(!cluster)(`pods jitsi-k8s creates in a "restricted" namespace${cluster ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('the namespace enforces: a pod without a securityContext is refused', () => {
    let refusal = '';
    try {
      kubectl(['run', 'plain', '-n', ns, '--image=busybox', '--restart=Never']);
    } catch (e) {
      refusal = String((e as { stderr?: unknown }).stderr);
    }
    expect(refusal).toMatch(/violates PodSecurity "restricted:latest"/);
  });

  it("admits the bench Job's pods, created by the Job controller, with no service-account token", async () => {
    const scenario = parseScenario({ target: 'jitsi', url: 'https://meet.example.com', participants: 4, rooms: 2, senders: 1 });
    const plan = assignParticipants(scenario);
    const shards = shardAssignment(plan, { perPod: 2 });
    const input: WorkerJobInput = {
      runId: 'psa1',
      step: 0,
      bridges: 1,
      namespace: ns,
      scenario,
      shards,
      startAtMs: Date.now(),
      image: 'ghcr.io/puppeteer/puppeteer:24.43.1',
      workerBundle: 'H4sI',
      cost: { coresPerSender: 0.15, coresPerReceiver: 0.08, memoryMiBPerSender: 300, memoryMiBPerReceiver: 200 },
      deadlineSeconds: 120,
    };
    const senders = new Set(plan.participants.filter((p) => p.role === 'sender').map((p) => p.index));
    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [buildConfigMap(input), buildJob(input, senders)] }));
    const pods = await podsOf('jitsi-k8s/bench-run=psa1', shards.length, `Job ${jobName('psa1', 0)}`);
    expect(pods).toHaveLength(shards.length);
    for (const pod of pods) {
      expect(pod.spec.automountServiceAccountToken).toBe(false);
      expect(pod.spec.volumes.some((v: Any) => v.projected)).toBe(false);
    }
  });

  it('admits the deletion-cost keeper (hostPort) and Newt (pangolin), created by their ReplicaSets', async () => {
    const hostPort = renderRelease(
      config({ nodes: { count: 3 }, exposure: { mode: 'hostPort', publicIP: undefined }, components: { jvb: { replicas: 2 } }, cluster: { namespace: ns, release: 'jitsi' } }),
      FIXED_SECRETS,
    ).extras!.manifests;
    const pangolin = renderRelease(
      config({ exposure: { mode: 'pangolin', publicIP: '203.0.113.10', pangolin: { endpoint: 'https://pangolin.example.com' } }, cluster: { namespace: ns, release: 'jitsi' } }),
      FIXED_SECRETS,
    ).extras!.manifests;
    // the Newt Secret is a helm template (credentials at apply time): the pod is admitted without it
    const objects = [...hostPort, ...pangolin].filter((m) => !m.helmTemplate && m.kind !== 'PodDisruptionBudget').map((m) => m.object);
    expect(objects.filter((o) => o.kind === 'Deployment')).toHaveLength(2);
    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    const keeper = await podsOf('app.kubernetes.io/component=jvb-cost-keeper', 1, 'the keeper');
    const newt = await podsOf('app.kubernetes.io/component=newt', 1, 'Newt');
    // the keeper talks to the API server (its Role: list and patch pods); Newt does not
    expect(keeper[0]!.spec.serviceAccountName).toBe('jitsi-jvb-cost-keeper');
    expect(newt[0]!.spec.automountServiceAccountToken).toBe(false);
    for (const pod of [...keeper, ...newt]) {
      for (const c of pod.spec.containers) {
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      }
    }
  });
});
