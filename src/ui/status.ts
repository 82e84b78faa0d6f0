/** The human view of `jitsi-k8s status` (cluster/status.ts returns the data). */
import type { Status } from '../cluster/status.js';
import { formatTable } from './table.js';

const dash = (v: number | string | undefined, f: (x: number) => string = String): string => (v === undefined ? '-' : typeof v === 'string' ? v : f(v));

/** The human view (data: goes to stdout). */
export function formatStatus(s: Status): string {
  const out: string[] = [];
  out.push(`release ${s.release} · chart ${s.chart ?? 'unknown'} · namespace ${s.namespace} · context ${s.context} · ${s.takenAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`);
  out.push('');
  out.push(
    formatTable(
      ['component', 'ready', 'restarts', 'not ready'],
      s.components.map((c) => [c.component, `${c.ready}/${c.desired}`, c.restarts, c.notReady.map((p) => `${p.name} (${p.reason ?? p.phase ?? 'not ready'})`).join(', ')]),
    ),
  );
  out.push('');
  if (s.bridges.length === 0) {
    out.push('no JVB pods');
  } else {
    out.push(
      formatTable(
        ['bridge', 'state', 'node', 'address', 'stress', 'conf', 'part', 'loss in/out %', 'kbps down/up', 'cpu', 'mem'],
        s.bridges.map((b) => [
          `${b.pod}${b.ready ? '' : ' (not ready)'}`,
          b.state ? b.state.replace('-', ' ') : '-',
          dash(b.node),
          dash(b.advertisedAddress),
          dash(b.stress, (x) => x.toFixed(2)),
          dash(b.conferences),
          dash(b.participants),
          b.incomingLossPct === undefined ? '-' : `${b.incomingLossPct.toFixed(1)}/${dash(b.outgoingLossPct, (x) => x.toFixed(1))}`,
          b.bitrateDownKbps === undefined ? '-' : `${Math.round(b.bitrateDownKbps)}/${dash(b.bitrateUpKbps, (x) => String(Math.round(x)))}`,
          dash(b.cpuCores, (x) => x.toFixed(2)),
          dash(b.memoryMiB, (x) => `${x}Mi`),
        ]),
      ),
    );
    if (s.bridges.some((b) => b.state && b.state !== 'running')) {
      out.push('draining: no new conferences, the running ones go on · graceful shutdown: leaves once its participants did · shutting down: exits within a minute');
    }
    const silent = s.bridges.filter((b) => b.statsError);
    for (const b of silent) out.push(`${b.pod}: no /colibri/stats (${b.statsError})`);
    if (s.cpuSource === 'kubelet') out.push('cpu/mem: from the kubelet Summary API (the metrics API, metrics-server, is not installed)');
    if (s.cpuSource === 'none') out.push('cpu/mem: the metrics API (metrics-server) is not installed and the kubelet Summary API cannot be read');
  }
  if (s.capacity) {
    const c = s.capacity;
    out.push('');
    out.push(`load: ${c.text}`);
    out.push(`  ${c.kind === 'profile' ? '' : 'an estimate, not measured: '}${c.source}`);
    for (const m of c.mismatches) out.push(`  profile from another setup: ${m}`);
    if (c.measure) out.push(`  measure it: ${c.measure}, then \`jitsi-k8s bench capacity save <run>\``);
  }
  if (s.autoscalers.length > 0) {
    out.push('');
    out.push(
      formatTable(
        ['autoscaler', 'target', 'current→desired', 'min-max', 'metric', 'now/target'],
        s.autoscalers.map((h) => [
          `${h.name}${h.engine === 'keda' ? ' (KEDA)' : ''}`,
          h.target,
          h.current === h.desired ? String(h.current) : `${h.current}→${h.desired}`,
          `${h.min}-${h.max}`,
          h.metric === 'cpu' ? 'cpu %' : h.metric,
          `${dash(h.metricCurrent)}/${dash(h.metricTarget)}`,
        ]),
      ),
    );
  }
  if (s.leftovers.length > 0) {
    out.push('');
    out.push('left by a killed run (the next apply, scale or uninstall puts it right):');
    for (const l of s.leftovers) out.push(`  ${l.what}\n    → ${l.action}`);
  }
  return out.join('\n');
}
