/** The threshold grammar, the verdict per sweep step and --max-regression, on SYNTHETIC records worked out by hand. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { summarize } from '../../src/bench/results/index.js';
import { evaluateRegression, parseMaxRegression } from '../../src/bench/results/regression.js';
import { DEFAULT_THRESHOLDS, evaluateThresholds, parseThreshold, parseThresholds } from '../../src/bench/results/thresholds.js';
import { formatVerdictText, verdictHtml } from '../../src/bench/results/verdict-view.js';
import { scenarioInput, toScenario } from '../../src/bench/options.js';
import { bridge, event, media, part } from './records.js';

function usageError(f: () => unknown): UsageError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('threshold grammar', () => {
  it.each([
    ['join.failed<=0', { figure: 'join.failed', phase: null, op: '<=', limit: 0, unit: '' }, 'join.failed<=0'],
    ['audio.loss.p95<2', { figure: 'audio.loss.p95', phase: 'steady', op: '<', limit: 2, unit: '%' }, 'audio.loss.p95<2'],
    ['audio.loss.p95<2%', { figure: 'audio.loss.p95', phase: 'steady', limit: 2 }, 'audio.loss.p95<2%'],
    ['  rtt.p95@ramp-up <= 300 ms ', { figure: 'rtt.p95', phase: 'ramp-up', op: '<=', limit: 300, unit: 'ms' }, 'rtt.p95@ramp-up<=300ms'],
    ['bridge.cpu.max<0.8cores', { figure: 'bridge.cpu.max', op: '<', limit: 0.8, unit: 'cores' }, 'bridge.cpu.max<0.8cores'],
    ['bridge.stress.max >= 0.1', { figure: 'bridge.stress.max', op: '>=', limit: 0.1 }, 'bridge.stress.max>=0.1'],
    ['join.joined==4', { figure: 'join.joined', op: '==', limit: 4 }, 'join.joined==4'],
    ['video.loss.pooled>-1', { op: '>', limit: -1 }, 'video.loss.pooled>-1'],
    ['bridge.cpu.max<.8', { op: '<', limit: 0.8 }, 'bridge.cpu.max<.8'],
    ['audio.loss.p95<=-.5%', { op: '<=', limit: -0.5, unit: '%' }, 'audio.loss.p95<=-.5%'],
  ])('%j parses', (text, fields, canonical) => {
    const t = parseThreshold(text);
    expect(t).toMatchObject(fields);
    expect(t.expression).toBe(canonical);
  });

  it.each([
    ['audio.los.p95<2', 'unknown figure "audio.los.p95"', '^^^^^^^^^^^^^', 0],
    ['audio.loss.p95=2', 'a single "=" is not an operator', '^', 14],
    ['audio.loss.p95 2', 'expected an operator', '^', 15],
    ['audio.loss.p95<two', 'expected a number', '^^^', 15],
    ['audio.loss.p95<2.', 'audio.loss.p95 is in % (got ".")', '^', 16],
    ['audio.loss.p95<2ms', 'audio.loss.p95 is in % (got "ms")', '^^', 16],
    ['join.failed<=0%', 'join.failed is a plain number: no unit', '^', 14],
    ['rtt.p95@stedy<300', 'unknown phase "stedy"', '^^^^^', 8],
    ['join.failed@steady<=0', 'join.failed is counted over the whole step: drop "@steady"', '^^^^^^^', 11],
    ['<2', 'expected a figure name', '^', 0],
    ['', 'empty threshold', '', 0],
  ])('%j is a usage error pointing at the bad part', (text, message, carets, column) => {
    const e = usageError(() => parseThreshold(text));
    expect(e.message).toContain(`--threshold: ${message}`);
    if (carets) {
      const lines = e.message.split('\n');
      expect(lines[1]).toBe(`  ${text.trim()}`);
      expect(lines[2]).toBe(`  ${' '.repeat(column)}${carets}`);
    }
    expect(e.hint).toBeTruthy();
  });

  it('an unknown figure lists the known ones in the hint', () => {
    expect(usageError(() => parseThreshold('cpu<1')).hint).toContain('bridge.cpu.max');
  });

  it('no thresholds: the defaults (everyone joined, media never stopped)', () => {
    const { thresholds, defaults } = parseThresholds([]);
    expect(defaults).toBe(true);
    expect(thresholds.map((t) => t.expression)).toEqual([...DEFAULT_THRESHOLDS]);
  });

  it('flags replace the scenario file\'s thresholds; both are checked before the run (exit 2), and stored canonical', () => {
    const base = { defaultOut: 'out', flags: { target: 'loopback' } };
    expect(toScenario(scenarioInput({ ...base, preset: { thresholds: ['rtt.p95 < 300ms'] } })).thresholds).toEqual(['rtt.p95<300ms']);
    expect(toScenario(scenarioInput({ ...base, preset: { thresholds: 'join.failed<=0' } })).thresholds).toEqual(['join.failed<=0']);
    expect(toScenario(scenarioInput({ ...base, flags: { target: 'loopback', threshold: ['audio.loss.p95<2'] }, preset: { thresholds: ['rtt.p95<300'] } })).thresholds).toEqual(['audio.loss.p95<2']);
    expect(toScenario(scenarioInput(base)).thresholds).toBeUndefined();
    expect(usageError(() => scenarioInput({ ...base, preset: { thresholds: ['rtt.p95<<3'] } })).message).toContain('scenario file: thresholds: expected a number');
    expect(usageError(() => scenarioInput({ ...base, flags: { target: 'loopback', threshold: ['rtt<3'] } })).message).toContain('--threshold: unknown figure "rtt"');
  });
});

describe('verdict', () => {
  // 2 planned; bench-1 joined and measured 10 % audio loss, one steady window with nothing in or out; bench-2 failed
  const records = [
    event('joined', { participant: 'bench-1' }),
    event('join-failed', { participant: 'bench-2', detail: 'no media' }),
    part({ participant: 'bench-1', audio: media(90, 10), rttMs: 20 }),
    part({ participant: 'bench-1', t: 2_000, audio: media(0, 0) }),
    bridge({ bridge: 'jvb-0', cpuCores: 0.5, stress: 0.2 }),
  ];
  const summary = summarize(records, { participants: 2 });

  it('checks each threshold against its figure; a figure without data fails', () => {
    const v = evaluateThresholds(summary, parseThresholds(['audio.loss.pooled<20%', 'audio.loss.pooled<5', 'rtt.mean<=20ms', 'bridge.cpu.max<0.8', 'video.loss.p95<1']).thresholds);
    expect(v.steps[0]!.results.map((r) => [r.expression, r.measured, r.passed])).toEqual([
      ['audio.loss.pooled<20%', 10, true],
      ['audio.loss.pooled<5', 10, false],
      ['rtt.mean<=20ms', 20, true],
      ['bridge.cpu.max<0.8', 0.5, true],
      ['video.loss.p95<1', null, false],
    ]);
    expect(v.passed).toBe(false);
    expect(v.failures).toEqual(['audio.loss.pooled<5: measured 10 %', 'video.loss.p95<1: not measured in this run']);
    expect(v.largestPassingBridges).toBeNull(); // not a sweep
  });

  it('defaults: a failed join and a window where media stopped both fail', () => {
    const { thresholds, defaults } = parseThresholds(undefined);
    const v = evaluateThresholds(summary, thresholds, defaults);
    expect(v.steps[0]!.results.map((r) => [r.expression, r.measured, r.passed])).toEqual([
      ['join.failed<=0', 1, false],
      ['media.stopped<=0', 1, false],
    ]);
    expect(v.defaults).toBe(true);
  });

  it('join.failed counts planned participants that never joined, even without a failure event', () => {
    const s = summarize([event('joined', { participant: 'bench-1' })], { participants: 3 });
    expect(evaluateThresholds(s, [parseThreshold('join.failed<=0')]).steps[0]!.results[0]!.measured).toBe(2);
  });

  it('a sweep: the verdict per step, and the largest bridge count at which all held', () => {
    // 1 bridge overloaded (stress 0.9), 2 and 4 bridges fine
    const sweep = summarize(
      [1, 2, 4].flatMap((n, step) => [
        event('joined', { participant: 'bench-1', step, bridges: n }),
        part({ participant: 'bench-1', step, bridges: n, audio: media(100, 0) }),
        bridge({ bridge: 'jvb-0', step, bridges: n, stress: n === 1 ? 0.9 : 0.3 }),
      ]),
      { participants: 1, replicas: [1, 2, 4] },
    );
    const v = evaluateThresholds(sweep, parseThresholds(['bridge.stress.max<0.7', 'join.failed<=0']).thresholds);
    expect(v.steps.map((s) => [s.bridges, s.passed])).toEqual([[1, false], [2, true], [4, true]]);
    expect(v.largestPassingBridges).toBe(4);
    expect(v.passed).toBe(false);
    expect(v.failures).toEqual(['bridge.stress.max<0.7 at 1 bridge: measured 0.9']);
    const text = formatVerdictText(v);
    expect(text.split('\n')[0]).toBe('verdict: FAILED: 1 of 6 threshold check(s) failed');
    expect(text).toContain('largest bridge count at which every threshold held: 4');
    expect(verdictHtml(v)).toContain('data-verdict="failed"');
  });

  it('a run folder\'s summary opens with its verdict (thresholds from scenario.json)', async () => {
    const { mkdtempSync, writeFileSync, readFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { writeResults } = await import('../../src/bench/results/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'jk8s-verdict-'));
    try {
      writeFileSync(join(dir, 'samples.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
      writeFileSync(join(dir, 'scenario.json'), JSON.stringify({ participants: 2, thresholds: ['audio.loss.pooled<20%'] }));
      await writeResults(dir);
      const json = readFileSync(join(dir, 'summary.json'), 'utf8');
      expect(Object.keys(JSON.parse(json)).slice(0, 2)).toEqual(['schema', 'verdict']);
      expect(JSON.parse(json).verdict).toMatchObject({ passed: true, defaults: false, thresholds: ['audio.loss.pooled<20%'] });
      const html = readFileSync(join(dir, 'report.html'), 'utf8');
      expect(html.indexOf('data-verdict="passed"')).toBeGreaterThan(0);
      expect(html.indexOf('data-verdict')).toBeLessThan(html.indexOf('Key figures'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--max-regression', () => {
  it.each([
    ['10%', { all: 10, perFigure: {} }],
    ['10%,rtt.p95=25%', { all: 10, perFigure: { 'rtt.p95': 25 } }],
    [' audio.loss.pooled = 5 % ', { all: null, perFigure: { 'audio.loss.pooled': 5 } }],
    ['.5%,rtt.p95=0.5%', { all: 0.5, perFigure: { 'rtt.p95': 0.5 } }],
  ])('%j parses', (text, fields) => {
    expect(parseMaxRegression(text)).toMatchObject(fields);
  });

  it.each([
    ['10', 'expected a percentage', '^^'],
    ['10%,rtt.p9=5%', 'unknown figure "rtt.p9"', '    ^^^^^^'],
    ['10%,,5%', 'empty entry', '    ^'],
    ['10%,20%', 'given twice', '    ^^^'],
  ])('%j is a usage error pointing at the bad entry', (text, message, carets) => {
    const e = usageError(() => parseMaxRegression(text));
    expect(e.message).toContain(message);
    expect(e.message.split('\n')[2]).toBe(`  ${carets}`);
  });

  const run = (lossLost: number, rtt: number) =>
    summarize([event('joined', { participant: 'bench-1' }), part({ participant: 'bench-1', audio: media(100 - lossLost, lossLost), rttMs: rtt })], { participants: 1 });

  it('names each figure worse than the baseline beyond its allowance; within resolution is equal', () => {
    const base = run(0, 10);
    const worse = run(5, 12); // loss 0 → 5 % (beyond any allowance), RTT 10 → 12 ms (+20 %)
    const r = evaluateRegression(base, worse, parseMaxRegression('10%'));
    expect(r.passed).toBe(false);
    expect(r.regressions).toEqual(['audio.loss.pooled: 0 % → 5 %, allowed 10 %', 'audio.loss.mean: 0 % → 5 %, allowed 10 %', 'audio.loss.p95: 0 % → 5 %, allowed 10 %', 'rtt.mean: 10 ms → 12 ms (+20 %), allowed 10 %', 'rtt.p95: 10 ms → 12 ms (+20 %), allowed 10 %']);
    expect(evaluateRegression(base, worse, parseMaxRegression('10%,rtt.mean=25%,rtt.p95=25%')).regressions.some((x) => x.startsWith('rtt'))).toBe(false);
    // only the figure named
    expect(evaluateRegression(base, worse, parseMaxRegression('rtt.p95=30%'))).toMatchObject({ passed: true, results: [{ figure: 'rtt.p95', changePct: 20 }] });
    // 10 → 10.5 ms is +5 % but below the 1 ms resolution; better is never a regression
    expect(evaluateRegression(run(0, 10), run(0, 10.5), parseMaxRegression('1%')).passed).toBe(true);
    expect(evaluateRegression(worse, base, parseMaxRegression('1%')).passed).toBe(true);
  });

  it('the load generator\'s cost is compared only when named (it is the test machine, not the deployment)', () => {
    const cost = (cores: number) =>
      summarize([part({ participant: 'bench-1', audio: media(100, 0), browser: 0, browserCpuCores: cores, browserParticipants: 1 })], { participants: 1 });
    expect(evaluateRegression(cost(0.1), cost(0.2), parseMaxRegression('10%')).passed).toBe(true);
    expect(evaluateRegression(cost(0.1), cost(0.2), parseMaxRegression('10%,loadgen.cpu.per-participant=50%')).regressions).toEqual([
      'loadgen.cpu.per-participant: 0.1 cores → 0.2 cores (+100 %), allowed 50 %',
    ]);
  });

  it('compares the same bridge counts only, and nothing to compare is not a pass', () => {
    const a = summarize([part({ participant: 'bench-1', bridges: 1, audio: media(10, 0) })], {});
    const b = summarize([part({ participant: 'bench-1', bridges: 2, audio: media(10, 0) })], {});
    const r = evaluateRegression(a, b, parseMaxRegression('10%'));
    expect(r.unmatchedBridges).toEqual([2]);
    expect(r.passed).toBe(false);
  });
});
