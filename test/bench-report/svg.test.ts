/** The chart drawing itself: scales, line breaks at real gaps, minutes for long runs, empty charts. */
import { describe, expect, it } from 'vitest';
import { barChart, lineChart, niceScale } from '../../src/bench/results/svg.js';
import type { Point } from '../../src/bench/results/series.js';

const paths = (html: string) => [...html.matchAll(/<path class="series[^"]*"[^>]* d="([^"]+)"/g)].map((m) => m[1]!);

describe('niceScale', () => {
  it('ends at a round number at or above the data', () => {
    expect(niceScale(0.27)).toEqual({ max: 0.3, ticks: [0, 0.1, 0.2, 0.3] });
    expect(niceScale(4.3)).toEqual({ max: 5, ticks: [0, 1, 2, 3, 4, 5] });
    expect(niceScale(0).max).toBe(1);
  });
});

describe('lineChart', () => {
  const chart = (points: Point[]) => lineChart({ id: 't', title: 'T', yLabel: 'y (%)', series: [{ name: 's', color: '#000', points }], emptyText: 'nothing' });

  it('joins points across one empty bucket, breaks the line at a real gap', () => {
    const joined = paths(chart([[0, 1], [10, 2], [20, null], [30, 3], [40, 3]]))[0]!;
    expect(joined.match(/M/g)).toHaveLength(1);
    const broken = paths(chart([[0, 1], [10, 2], [20, 2], [30, 3], [200, 3], [210, 1]]))[0]!;
    expect(broken.match(/M/g)).toHaveLength(2);
  });

  it('labels its axes with units, in minutes for long runs', () => {
    const short = chart([[0, 1], [600, 2]]);
    expect(short).toContain('time since start (s)');
    expect(short).toContain('y (%)');
    const long = chart([[0, 1], [3600, 2]]);
    expect(long).toContain('time since start (min)');
    expect(long).toMatch(/>60<\/text>/); // the last tick is 60 min, not 3,600 s
  });

  it('shows a sentence instead of an empty plot', () => {
    const html = chart([[0, null]]);
    expect(html).toContain('data-chart-empty="t"');
    expect(html).toContain('nothing');
    expect(html).not.toContain('<svg class="chart"');
  });
});

describe('barChart', () => {
  it('draws a bar per value and says "no data" where there is none', () => {
    const html = barChart({ id: 'b', title: 'B', yLabel: 'cores', xLabel: 'bridges', categories: ['1 bridge', '2 bridges'], series: [{ name: 'x', color: '#000', values: [0.05, null] }], emptyText: 'none' });
    expect(paths(html)).toHaveLength(1);
    expect(html).toContain('no data');
    expect(html).toContain('0.050');
  });
});
