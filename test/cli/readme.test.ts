/** The README's example config and config reference stay true. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { validateConfig } from '../../src/config/validate.js';
import { fullValues, renderRelease } from '../../src/render/index.js';
import { run } from '../../src/cluster/exec.js';
import { template, testChart, typeMismatches, unknownToChart } from '../support/chart.js';
import { FIXED_SECRETS } from '../support/config.js';
import { helmBin, repoRoot } from '../support/tools.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const example = readFileSync(join(repoRoot, 'examples/jitsi-k8s.yaml'), 'utf8');

describe('README', () => {
  it('shows examples/jitsi-k8s.yaml verbatim, and it is a valid config', () => {
    const section = readme.slice(readme.indexOf('## Configuration (`jitsi-k8s.yaml`)'));
    const block = section.slice(section.indexOf('```yaml\n') + 8, section.indexOf('```', section.indexOf('```yaml\n') + 8));
    expect(block).toBe(example);
    const { config } = validateConfig(parse(example), 'examples/jitsi-k8s.yaml');
    expect(config.components.jvb.replicas).toBe(4);
  });

  it('the example renders to values the real 3.4.0 chart lints strictly and reads, key for key (real helm)', async () => {
    const values = fullValues(renderRelease(validateConfig(parse(example)).config, FIXED_SECRETS));
    await run(helmBin(), ['lint', testChart(), '--strict', '-f', '-'], { input: stringify(values) });
    expect(unknownToChart(values)).toEqual([]);
    expect(typeMismatches(values)).toEqual([]);
    expect((await template(values)).filter((d) => d.kind === 'Deployment' && /-jvb-\d+$/.test(d.metadata.name))).toHaveLength(4);
  });

  it('docs/config-reference.md is the one generated from the schema', async () => {
    const { reference } = await import(join(repoRoot, 'scripts/config-reference.mjs'));
    expect(readFileSync(join(repoRoot, 'docs/config-reference.md'), 'utf8')).toBe(reference);
    expect(reference).toContain('| `components.jvb.autoscale.cpuPercent` | integer | `70` |');
  });
});
