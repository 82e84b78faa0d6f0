/** CSV columns, HTML escaping, the terminal table and the comparison object. SYNTHETIC inputs. */
import { describe, expect, it } from 'vitest';
import { bridgesCsv, clientsCsv, csvCell, placementCsv } from '../../src/bench/results/csv.js';
import { compareSummaries } from '../../src/bench/results/compare.js';
import { esc } from '../../src/bench/results/html.js';
import { fillTemplate, loadTemplate, renderReport } from '../../src/bench/results/report.js';
import { buildSeries } from '../../src/bench/results/series.js';
import { formatTerminalSummary, summarize } from '../../src/bench/results/index.js';
import { event, part } from './records.js';
import { syntheticRecords, syntheticScenario } from './synthetic.js';

const sweepRecords = syntheticRecords({ bridgeCounts: [1, 2] });
const sweep = summarize(sweepRecords, syntheticScenario({ bridgeCounts: [1, 2] }));

function parseCsv(text: string): string[][] {
  // the synthetic data has no quoted cells, so a plain split is exact here
  return text.trimEnd().split('\n').map((l) => l.split(','));
}

describe('CSV', () => {
  it('clients.csv: one row per step × phase, header names with units', () => {
    const rows = parseCsv(clientsCsv(sweep));
    const header = rows[0]!;
    expect(header.slice(0, 10)).toEqual(['step', 'bridges', 'phase', 'start_utc', 'duration_s', 'joined', 'join_failed', 'left', 'participants_measured', 'participant_samples']);
    for (const col of ['audio_loss_pct_mean', 'audio_loss_pct_p95', 'audio_loss_pct_pooled', 'video_loss_pct_pooled', 'video_nacks', 'rtt_ms_p95', 'bitrate_in_kbps_mean', 'cpu_cores_per_participant']) {
      expect(header).toContain(col);
    }
    expect(rows).toHaveLength(1 + 2 * 5);
    for (const r of rows) expect(r).toHaveLength(header.length);
    const steady = rows.find((r) => r[0] === '1' && r[2] === 'steady')!;
    const at = (name: string) => steady[header.indexOf(name)];
    expect(Number(at('audio_loss_pct_pooled'))).toBe(sweep.steps[1]!.phases.find((p) => p.phase === 'steady')!.clients.audio.pooledLossPct);
    // warmup has no participant samples: loss cells are empty, not 0
    const warmup = rows.find((r) => r[0] === '0' && r[2] === 'warmup')!;
    expect(warmup[header.indexOf('audio_loss_pct_mean')]).toBe('');
    expect(warmup[header.indexOf('participants_measured')]).toBe('0');
  });

  it('bridges.csv: one row per step × phase × bridge', () => {
    const rows = parseCsv(bridgesCsv(sweep));
    expect(rows[0]!.slice(0, 8)).toEqual(['step', 'bridges', 'phase', 'bridge', 'node', 'samples', 'cpu_source', 'cpu_cores_mean']);
    expect(rows).toHaveLength(1 + 5 * 1 + 5 * 2);
    expect(rows.filter((r) => r[0] === '1' && r[2] === 'steady').map((r) => r[3])).toEqual(['jitsi-jvb-0', 'jitsi-jvb-1']);
    expect(parseCsv(placementCsv(sweep))[0]).toEqual(['step', 'bridges', 'room', 'landed_on', 'participants']);
  });

  it('quotes and defuses cells', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(0)).toBe('0');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
  });
});

describe('HTML escaping', () => {
  const evil = '<script>alert(1)</script>';
  const evilBridge = 'jvb"><img src=x onerror=alert(2)>';
  const records = [
    part({ participant: 'bench-0', room: evil, bridge: evilBridge }),
    event('join-failed', { participant: '</td><script>alert(3)</script>', detail: "<iframe src='x'>" }),
    { kind: 'bridge' as const, t: 1000, step: 0, bridges: 1, phase: 'steady' as const, bridge: evilBridge, cpuCores: 0.5, node: '<b>node</b>' },
  ];
  const summary = summarize(records, { target: '<svg onload=alert(4)>', url: 'https://x/"><script>', note: '<marquee>' });

  it('no run data can inject markup into report.html', async () => {
    const html = renderReport(summary, buildSeries(records, summary), await loadTemplate());
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<iframe/i);
    expect(html).not.toMatch(/<marquee/i);
    expect(html).not.toMatch(/<svg onload/i);
    expect(html).not.toMatch(/<b>node/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('jvb&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
  });

  it('esc and the template fill', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    // `$&` in data must not be taken as a replacement pattern
    expect(fillTemplate('<title>{{title}}</title>{{body}}', { title: '<$&>', generated: '', body: '<p>$& $1</p>' })).toBe('<title>&lt;$&amp;&gt;</title><p>$& $1</p>');
  });
});

const lines0 = (text: string) => text.split('\n')[0]!;

describe('terminal summary', () => {
  it('one row per step × phase, then bridges in the steady phase, plain text', () => {
    const text = formatTerminalSummary(sweep);
    expect(text).not.toMatch(/\x1b\[/);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^bridges\s+phase\s+joined\s+failed\s+measured\s+audio loss % \(p95\)/);
    expect(lines.filter((l) => /^\d\s+(warmup|ramp-up|steady|ramp-down|cooldown)\s/.test(l))).toHaveLength(10 + 3);
    const steady2 = sweep.steps[1]!.phases.find((p) => p.phase === 'steady')!;
    const row = lines.find((l) => /^2\s+steady\s+0/.test(l))!;
    expect(row).toContain(`${steady2.clients.audio.pooledLossPct!.toFixed(2)} (${steady2.clients.audio.lossPctP95!.toFixed(2)})`);
    expect(lines.some((l) => /^2\s+steady\s+jitsi-jvb-1/.test(l))).toBe(true);
  });

  it('says when no bridge was measured', () => {
    const s = summarize(syntheticRecords({ withBridges: false, bridgeCounts: [1] }), {});
    const text = formatTerminalSummary(s);
    expect(text).toContain('no bridge was measured (no bridge samples): client figures only');
    expect(text).toMatch(/^1\s+steady\s+0\s+0\s+\d+\s+\d+\.\d\d \(\d+\.\d\d\)/m);
    expect(lines0(text)).not.toContain('bridge cores'); // no empty bridge columns
    expect(lines0(text)).toContain('browser cores/sender');
  });
});

describe('compareSummaries', () => {
  it('deltas are b − a, per bridge count in the steady phase, null where one run lacks it', () => {
    const a = summarize(syntheticRecords({ bridgeCounts: [1] }), {});
    const b = summarize(syntheticRecords({ bridgeCounts: [1, 2], cpuScale: 2 }), {});
    const c = compareSummaries({ dir: '/runs/a', summary: a }, { dir: '/runs/b', summary: b });
    expect(c.a.label).toBe('a');
    expect(c.b.label).toBe('b');
    const total1 = c.figures.find((f) => f.scope === '1 bridge, steady' && f.figure === 'bridge CPU, Σ of means')!;
    expect(total1.a).toBe(a.steps[0]!.phases.find((p) => p.phase === 'steady')!.bridgeCpuCoresTotal);
    expect(total1.delta).toBeCloseTo(total1.b! - total1.a!, 6);
    expect(total1.deltaPct).toBeCloseTo(((total1.b! - total1.a!) / total1.a!) * 100, 1);
    expect(total1.better).toBe('lower');
    const two = c.figures.find((f) => f.scope === '2 bridges, steady' && f.figure === 'CPU per participant')!;
    expect(two.a).toBeNull();
    expect(two.b).not.toBeNull();
    expect(two.delta).toBeNull();
    const joined = c.figures.find((f) => f.scope === 'overall' && f.figure === 'participants joined')!;
    expect([joined.a, joined.b, joined.delta]).toEqual([6, 12, 6]);
  });
});
