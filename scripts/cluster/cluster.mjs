#!/usr/bin/env node
// The test control plane: real kube-apiserver, controller-manager, scheduler and etcd, with nodes and
// kubelets simulated by kwok. `up` builds what is missing (build.sh), starts everything on this
// machine in the background and writes <dir>/kubeconfig; `down` stops exactly the processes `up`
// started (by pid) and removes the network namespace it made.
//
// Addresses: everything listens on loopback, except kwok's kubelet endpoint, which listens on the
// host end of a veth pair this script creates (the API server refuses loopback node addresses for
// nodes/proxy). Pod IPs come from POD_CIDR, routed into a network namespace of ours where any
// address of that range is local (a stand-in listening there answers for every pod), so traffic to
// a pod IP never leaves this machine. Requires root (ip netns).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
export const KUBE_VERSION = 'v1.34.4';

/** One slot per control plane that may run at once on this machine (parallel test runs, workers). */
function network(slot) {
  return {
    slot,
    netns: `jk8s-pods-${slot}`,
    hostIf: `jk8sh${slot}`,
    podIf: `jk8sp${slot}`,
    nodeIP: `10.245.${slot}.1`,
    peerIP: `10.245.${slot}.2`,
    podCIDR: `10.244.${slot}.0/24`,
  };
}

export function binDir() {
  const base = process.env.JITSI_K8S_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/root', '.cache'), 'jitsi-k8s');
  return join(base, `k8s-${process.env.JITSI_K8S_KUBE_VERSION ?? KUBE_VERSION}`, 'bin');
}

const BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd', 'kwok'];

export function missingBinaries() {
  return BINARIES.filter((b) => !existsSync(join(binDir(), b)));
}

export function build() {
  execFileSync('bash', [join(here, 'build.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
}

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function pki(dir, net) {
  mkdirSync(dir, { recursive: true });
  const o = (...args) => sh('openssl', args, { cwd: dir });
  o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=jitsi-k8s-test-ca');
  const leaf = (name, subj, san) => {
    o('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj);
    writeFileSync(join(dir, `${name}.ext`), san ? `subjectAltName=${san}\n` : 'extendedKeyUsage=clientAuth\n');
    o('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '30', '-extfile', `${name}.ext`);
  };
  leaf('apiserver', '/CN=kube-apiserver', 'IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc');
  leaf('admin', '/O=system:masters/CN=jitsi-k8s-test-admin');
  leaf('kubelet', '/CN=kwok-kubelet', `IP:${net.nodeIP}`);
  o('genrsa', '-out', 'sa.key', '2048');
  o('rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
}

function kubeconfig(dir, server) {
  const b64 = (f) => readFileSync(join(dir, 'pki', f)).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: jitsi-k8s-test',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64('ca.crt')}`,
    'users:',
    '- name: admin',
    '  user:',
    `    client-certificate-data: ${b64('admin.crt')}`,
    `    client-key-data: ${b64('admin.key')}`,
    'contexts:',
    '- name: jitsi-k8s-test',
    '  context:',
    '    cluster: jitsi-k8s-test',
    '    user: admin',
    'current-context: jitsi-k8s-test',
    '',
  ].join('\n');
}

function setupNetwork(net) {
  teardownNetwork(net);
  sh('ip', ['netns', 'add', net.netns]);
  sh('ip', ['link', 'add', net.hostIf, 'type', 'veth', 'peer', 'name', net.podIf]);
  sh('ip', ['link', 'set', net.podIf, 'netns', net.netns]);
  sh('ip', ['addr', 'add', `${net.nodeIP}/24`, 'dev', net.hostIf]);
  sh('ip', ['link', 'set', net.hostIf, 'up']);
  const inNs = (...a) => sh('ip', ['-n', net.netns, ...a]);
  inNs('link', 'set', 'lo', 'up');
  inNs('addr', 'add', `${net.peerIP}/24`, 'dev', net.podIf);
  inNs('link', 'set', net.podIf, 'up');
  // every pod IP is local inside the namespace; replies go back over the veth
  inNs('route', 'add', 'local', net.podCIDR, 'dev', 'lo');
  inNs('route', 'add', 'default', 'via', net.nodeIP);
  sh('ip', ['route', 'add', net.podCIDR, 'via', net.peerIP, 'dev', net.hostIf]);
}

function teardownNetwork(net) {
  for (const args of [['route', 'del', net.podCIDR], ['link', 'del', net.hostIf], ['netns', 'del', net.netns]]) {
    try {
      sh('ip', args);
    } catch {
      // not there: nothing to remove
    }
  }
}

/** The route that keeps pod traffic on this machine; checked before anything is sent to a pod IP. */
export function checkPodRoute(state) {
  const out = sh('ip', ['route', 'get', state.podCIDR.replace(/0\/24$/, '10')]);
  if (!out.includes(`dev ${state.hostIf}`)) throw new Error(`pod CIDR ${state.podCIDR} is not routed into ${state.netns}: ${out.trim()}`);
}

function start(dir, name, args) {
  const log = openSync(join(dir, 'logs', `${name}.log`), 'a');
  const child = spawn(join(binDir(), name), args, { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  return child.pid;
}

async function waitFor(what, check, timeoutMs, dir, logName) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  const tail = logName ? readFileSync(join(dir, 'logs', `${logName}.log`), 'utf8').split('\n').slice(-15).join('\n') : '';
  throw new Error(`${what} not ready after ${timeoutMs / 1000} s${last ? `: ${last.message}` : ''}\n${tail}`);
}

function claimSlot() {
  const locks = '/run/jitsi-k8s-cluster';
  mkdirSync(locks, { recursive: true });
  for (let slot = 0; slot < 16; slot++) {
    const f = join(locks, String(slot));
    if (existsSync(f)) {
      const owner = Number(readFileSync(f, 'utf8'));
      if (owner && alive(owner)) continue;
    }
    writeFileSync(f, String(process.pid));
    return { slot, lock: f };
  }
  throw new Error('16 test control planes are running on this machine already');
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function kubectl(state, args, input) {
  return sh(state.kubectl ?? 'kubectl', ['--kubeconfig', state.kubeconfig, ...args], input ? { input, stdio: ['pipe', 'pipe', 'pipe'] } : {});
}

function kubectlBin() {
  const local = join(repo, '.tools', 'kubectl', 'kubectl');
  return existsSync(local) ? local : 'kubectl';
}

/**
 * Simulated nodes: capacity, allocatable and labels as a test wants them.
 * @param {unknown} state what `up` returned
 * @param {{ name: string, cpu?: string, memory?: string, pods?: string, labels?: Record<string, string>, taints?: unknown[] }} node
 */
export function addNode(state, { name, cpu = '8', memory = '32Gi', pods = '110', labels = {}, taints = [] }) {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok', ...labels },
    },
    spec: { taints },
    status: {
      capacity: { cpu, memory, pods, 'ephemeral-storage': '100Gi' },
      allocatable: { cpu, memory, pods, 'ephemeral-storage': '100Gi' },
    },
  };
  kubectl(state, ['apply', '-f', '-'], JSON.stringify(node));
}

export async function up({ dir = join(repo, '.cluster'), nodes = 3, cpu = '8', memory = '32Gi', log = (s) => process.stderr.write(`${s}\n`) } = {}) {
  dir = resolve(dir);
  if (existsSync(join(dir, 'state.json'))) {
    const old = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    if (old.pids.every(alive)) {
      log(`control plane already running (${join(dir, 'kubeconfig')})`);
      return old;
    }
    down({ dir, log });
  }
  if (missingBinaries().length) {
    log(`building ${missingBinaries().join(', ')} into ${binDir()} (first time only)`);
    build();
  }
  const t0 = Date.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const { slot, lock } = claimSlot();
  const net = network(slot);
  const [etcdPort, etcdPeer, apiPort, cmPort, schedPort, kwokPort] = await Promise.all(Array.from({ length: 6 }, freePort));
  pki(join(dir, 'pki'), net);
  const p = (f) => join(dir, 'pki', f);
  const state = { dir, ...net, lock, kubeconfig: join(dir, 'kubeconfig'), server: `https://127.0.0.1:${apiPort}`, kubectl: kubectlBin(), pids: [], version: KUBE_VERSION };
  const save = () => writeFileSync(join(dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  save();
  try {
    setupNetwork(net);
    writeFileSync(state.kubeconfig, kubeconfig(dir, state.server), { mode: 0o600 });
    state.pids.push(
      start(dir, 'etcd', [
        '--name=jk8s',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=jk8s=http://127.0.0.1:${etcdPeer}`,
        '--listen-metrics-urls=',
        '--unsafe-no-fsync',
        '--log-level=warn',
      ]),
    );
    // the slot belongs to the control plane, not to this process (`cluster:up` exits and leaves it running)
    writeFileSync(lock, String(state.pids[0]));
    save();
    state.pids.push(
      start(dir, 'kube-apiserver', [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        '--advertise-address=127.0.0.1',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--authorization-mode=Node,RBAC',
        `--client-ca-file=${p('ca.crt')}`,
        `--tls-cert-file=${p('apiserver.crt')}`,
        `--tls-private-key-file=${p('apiserver.key')}`,
        `--service-account-key-file=${p('sa.pub')}`,
        `--service-account-signing-key-file=${p('sa.key')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--kubelet-client-certificate=${p('admin.crt')}`,
        `--kubelet-client-key=${p('admin.key')}`,
        '--kubelet-preferred-address-types=InternalIP',
        '--allow-privileged=true',
        '--profiling=false',
        '--v=1',
      ]),
    );
    save();
    await waitFor('kube-apiserver', () => kubectl(state, ['get', '--raw', '/readyz']).includes('ok'), 90_000, dir, 'kube-apiserver');
    const adminConfig = state.kubeconfig;
    // the flags the controller-manager and the scheduler share: admin credentials, loopback only, one instance
    const component = (port) => [
      `--kubeconfig=${adminConfig}`,
      `--authentication-kubeconfig=${adminConfig}`,
      `--authorization-kubeconfig=${adminConfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      '--leader-elect=false',
      '--profiling=false',
      '--v=1',
    ];
    state.pids.push(
      start(dir, 'kube-controller-manager', [
        ...component(cmPort),
        `--service-account-private-key-file=${p('sa.key')}`,
        `--root-ca-file=${p('ca.crt')}`,
        '--use-service-account-credentials=false',
        '--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller',
      ]),
    );
    state.pids.push(start(dir, 'kube-scheduler', component(schedPort)));
    writeFileSync(join(dir, 'kwok.yaml'), readFileSync(join(here, 'stages.yaml'), 'utf8'));
    // pod logs: a test adds a kwok Logs object (named after the pod) pointing at a file it writes
    kubectl(state, ['apply', '-f', join(here, 'logs-crd.yaml')]);
    await waitFor('the Logs CRD', () => kubectl(state, ['get', 'crd', 'logs.kwok.x-k8s.io', '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']) === 'True', 30_000, dir, 'kube-apiserver');
    // exec into a pod: a test adds a kwok Exec object (named after the pod) mapping it onto a local command
    kubectl(state, ['apply', '-f', join(here, 'exec-crd.yaml')]);
    await waitFor('the Exec CRD', () => kubectl(state, ['get', 'crd', 'execs.kwok.x-k8s.io', '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}']) === 'True', 30_000, dir, 'kube-apiserver');
    state.kwokPort = kwokPort;
    state.pids.push(
      start(dir, 'kwok', [
        `--kubeconfig=${adminConfig}`,
        `--config=${join(dir, 'kwok.yaml')}`,
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        `--cidr=${net.podCIDR}`,
        `--node-ip=${net.nodeIP}`,
        `--node-port=${kwokPort}`,
        `--server-address=${net.nodeIP}:${kwokPort}`,
        `--tls-cert-file=${p('kubelet.crt')}`,
        `--tls-private-key-file=${p('kubelet.key')}`,
        '--node-lease-duration-seconds=40',
        '--enable-crds=Logs,Exec',
      ]),
    );
    save();
    await waitFor('default service account', () => kubectl(state, ['get', 'serviceaccount', 'default', '-n', 'default', '-o', 'name']).includes('default'), 60_000, dir, 'kube-controller-manager');
    for (let i = 0; i < nodes; i++) addNode(state, { name: `node-${i}`, cpu, memory });
    await waitFor(`${nodes} Ready nodes`, () => readyNodes(state) >= nodes, 60_000, dir, 'kwok');
    state.startSeconds = (Date.now() - t0) / 1000;
    save();
    log(`control plane ${KUBE_VERSION} up in ${state.startSeconds.toFixed(1)} s: ${nodes} nodes; KUBECONFIG=${state.kubeconfig}`);
    return state;
  } catch (e) {
    down({ dir, log: () => {} });
    throw e;
  }
}

export function readyNodes(state) {
  const out = JSON.parse(kubectl(state, ['get', 'nodes', '-o', 'json']));
  return out.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
}

export function down({ dir = join(repo, '.cluster'), log = (s) => process.stderr.write(`${s}\n`) } = {}) {
  dir = resolve(dir);
  const file = join(dir, 'state.json');
  if (!existsSync(file)) {
    log('no control plane recorded here: nothing to stop');
    return;
  }
  const state = JSON.parse(readFileSync(file, 'utf8'));
  for (const pid of [...state.pids].reverse()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 10_000;
  while (state.pids.some(alive) && Date.now() < deadline) execFileSync('sleep', ['0.1']);
  for (const pid of state.pids.filter(alive)) process.kill(pid, 'SIGKILL');
  teardownNetwork(state);
  rmSync(state.lock, { force: true });
  rmSync(dir, { recursive: true, force: true });
  log(`control plane stopped (${state.pids.length} processes)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const cmd = process.argv[2];
  const dirArg = process.argv.indexOf('--dir');
  const dir = dirArg > 0 ? process.argv[dirArg + 1] : undefined;
  try {
    if (cmd === 'up') await up({ dir });
    else if (cmd === 'down') down({ dir });
    else if (cmd === 'build') {
      build();
      process.stdout.write(`${binDir()}\n`);
    } else {
      process.stderr.write('usage: cluster.mjs up|down|build [--dir DIR]\n');
      process.exit(2);
    }
  } catch (e) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(1);
  }
}
