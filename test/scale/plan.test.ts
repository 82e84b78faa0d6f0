import { describe, expect, it } from 'vitest';
import { parseCount, planScaleChange } from '../../src/config/scale.js';
import { CommandError, UsageError } from '../../src/errors.js';
import { renderRelease } from '../../src/render/index.js';
import { config, FIXED_SECRETS } from '../support/config.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const modes = {
  loadBalancer: {},
  nodePort: { exposure: { mode: 'nodePort', nodePort: 30000 } },
  tailscale: { exposure: { mode: 'tailscale', publicIP: undefined } },
  pangolin: { exposure: { mode: 'pangolin', pangolin: { endpoint: 'https://p.example.com' } } },
  hostPort: { nodes: { count: 8 }, exposure: { mode: 'hostPort' } },
} as const;

describe('scale jvb in every exposure mode', () => {
  it.each(Object.entries(modes))('%s: 1 → 6 bridges, the way the chart wants', (mode, overrides) => {
    const change = planScaleChange(config(overrides), { component: 'jvb', count: 6 });
    expect([change.from, change.to, change.scalingIn]).toEqual([1, 6, false]);
    const jvb = renderRelease(change.config, FIXED_SECRETS).values.jvb as Any;
    if (mode === 'hostPort') {
      expect([jvb.replicaCount, jvb.portRangeSize]).toEqual([6, 1]);
      expect(change.effects.join('\n')).toContain('6 schedulable nodes needed');
    } else {
      expect([jvb.replicaCount, jvb.portRangeSize]).toEqual([1, 6]);
      expect(change.effects.join('\n')).toMatch(mode === 'nodePort' ? /NodePorts 30000-30005/ : /UDP 10000-10005/);
    }
    expect(change.effects).toContain('octo (bridge relay) on');
    expect((renderRelease(change.config, FIXED_SECRETS).values.octo as Any).enabled).toBe(true);
  });

  it('scaling in is flagged', () => {
    const c = planScaleChange(config({ components: { jvb: { replicas: 4 } } }), { component: 'jvb', count: 2 });
    expect(c.scalingIn).toBe(true);
    expect(c.effects[0]).toBe('jvb.portRangeSize 4 → 2 (one Deployment and one UDP port per bridge)');
  });

  it('hostPort: more bridges than nodes is refused', () => {
    expect(() => planScaleChange(config({ nodes: { count: 3 }, exposure: { mode: 'hostPort' } }), { component: 'jvb', count: 4 })).toThrow(
      /hostPort allows one bridge per node: 4 bridges need 4 nodes/,
    );
  });
});

describe('scale: autoscaling', () => {
  const hp = () => config({ nodes: { count: 10 }, exposure: { mode: 'hostPort' } });

  it('--auto --min --max --cpu turns it on in hostPort mode', () => {
    const c = planScaleChange(hp(), { component: 'jvb', auto: true, min: 2, max: 10, cpuPercent: 70 });
    expect(c.config.components.jvb.autoscale).toEqual({ enabled: true, min: 2, max: 10, cpuPercent: 70, metric: 'cpu', stressTarget: 0.6, participantsTarget: 100 });
    expect(c.to).toBe(2); // the current count is pulled into the range
    const r = renderRelease(c.config, FIXED_SECRETS);
    // the autoscaler, beside the bridges' disruption budget and the deletion-cost keeper every hostPort release has
    expect(r.extras!.manifests.map((m) => m.kind)).toEqual([
      'PodDisruptionBudget',
      'HorizontalPodAutoscaler',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ConfigMap',
      'Deployment',
    ]);
  });

  it('--auto behind a Service is refused with the reason and the alternative', () => {
    const err = (() => {
      try {
        planScaleChange(config(), { component: 'jvb', auto: true, min: 2, max: 5 });
      } catch (e) {
        return e as CommandError;
      }
    })();
    expect(err).toBeInstanceOf(CommandError);
    expect(err!.message).toBe('JVB autoscaling cannot work in loadBalancer mode');
    expect(err!.hint).toMatch(/scale by count/);
  });

  it('a count outside the HPA range would fight the autoscaler: refused with the --min/--max to use', () => {
    const on = planScaleChange(hp(), { component: 'jvb', auto: true, min: 2, max: 4 }).config;
    expect(() => planScaleChange(on, { component: 'jvb', count: 6 })).toThrow(/between 2 and 4: 6 would be undone/);
    try {
      planScaleChange(on, { component: 'jvb', count: 6 });
    } catch (e) {
      expect((e as UsageError).hint).toContain('--min 2 --max 6');
    }
    expect(planScaleChange(on, { component: 'jvb', count: 3 }).to).toBe(3);
    expect(planScaleChange(on, { component: 'jvb', max: 8 }).config.components.jvb.autoscale.max).toBe(8);
    expect(planScaleChange(on, { component: 'jvb', auto: false, count: 6 }).config.components.jvb.autoscale.enabled).toBe(false);
  });
});

describe('scale: other components and refusals', () => {
  it('web and jibri scale through their replica keys', () => {
    const web = planScaleChange(config(), { component: 'web', count: 3 });
    expect((renderRelease(web.config, FIXED_SECRETS).values.web as Any).replicaCount).toBe(3);
    const jibri = planScaleChange(config(), { component: 'jibri', count: 2 });
    expect(renderRelease(jibri.config, FIXED_SECRETS).values.jibri as Any).toMatchObject({ enabled: true, replicaCount: 2 });
    const off = planScaleChange(jibri.config, { component: 'jibri', count: 0 });
    expect((renderRelease(off.config, FIXED_SECRETS).values.jibri as Any).enabled).toBe(false);
    expect(off.scalingIn).toBe(true);
  });

  it.each(['prosody', 'jicofo', 'jigasi', 'transcriber'])('%s cannot be scaled: a clear error that says why', (component) => {
    expect(() => planScaleChange(config(), { component, count: 2 })).toThrow(
      new RegExp(`${component} cannot be scaled: the jitsi-meet chart runs exactly one ${component}`),
    );
    expect(() => planScaleChange(config(), { component, count: 2 })).toThrow(CommandError);
  });

  it.each([
    ['unknown component', { component: 'turn', count: 2 }, /unknown component "turn"/],
    ['zero bridges', { component: 'jvb', count: 0 }, /count must be a whole number ≥ 1 \(got 0\)/],
    ['fractional', { component: 'web', count: 1.5 }, /count must be a whole number/],
    ['no count', { component: 'web' }, /how many web pods/],
    ['autoscale flags on web', { component: 'web', count: 2, min: 1 }, /apply to jvb only/],
    ['cpu out of range', { component: 'jvb', auto: true, cpuPercent: 150 }, /--cpu must be a whole percent from 10 to 100/],
  ])('%s is a usage error', (_n, req, msg) => {
    expect(() => planScaleChange(config({ exposure: { mode: 'hostPort' } }), req)).toThrow(UsageError);
    expect(() => planScaleChange(config({ exposure: { mode: 'hostPort' } }), req)).toThrow(msg);
  });

  it.each([
    ['3', 3],
    ['0', 0],
    ['-1', 'err'],
    ['1.5', 'err'],
    ['six', 'err'],
    [' 4 ', 4],
  ])('parseCount(%j)', (text, expected) => {
    if (expected === 'err') expect(() => parseCount(text, 'count')).toThrow(UsageError);
    else expect(parseCount(text, 'count')).toBe(expected);
  });
});
