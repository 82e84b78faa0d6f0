/** `render` and `apply` size from expect.profile (a capacity.json read beside the config) and say so in NOTES; a look-alike profile is flagged; a missing one is an error naming the field. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRender } from '../../src/output/render.js';
import { applyInstall } from '../../src/pipeline/apply.js';
import { loadConfig, loadSecrets, secretsPathFor } from '../../src/config/file.js';

const dir = mkdtempSync(join(tmpdir(), 'jk8s-capnotes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const profile = {
  schema: 'jitsi-k8s/capacity@1',
  measuredAt: '2026-12-07T17:58:43.000Z',
  run: 'bench-results/find-capacity',
  target: 'loopback',
  jvbImage: 'loopback look-alike bridge (stress 0.4 per participant)',
  nodes: null,
  bridgeCores: null,
  shape: { roomSize: 2, senders: 1, audioSenders: 1, liteReceivers: null, video: '320x180@10' },
  thresholds: ['bridge.stress.max<=0.8'],
  knees: [{ bridges: 1, participants: 2, conferences: 1, perBridge: 2, perBridgeCore: null }],
  participantsPerBridge: 2,
  participantsPerBridgeCore: null,
  command: 'jitsi-k8s bench --find-capacity --target loopback --room-size 2',
};

const write = (expect: string) => {
  const path = join(dir, 'jitsi-k8s.yaml');
  writeFileSync(
    path,
    `domain: meet.example.com\ntls: { mode: none }\nexposure: { mode: loadBalancer, publicIP: 203.0.113.10 }\ncomponents: { jvb: { replicas: 2 } }\n${expect}`,
  );
  return path;
};

describe('render with expect', () => {
  it('sizes from the profile file, with the arithmetic, and flags a look-alike profile and another room size', () => {
    writeFileSync(join(dir, 'capacity.json'), JSON.stringify(profile));
    const r = runRender({ configPath: write('expect: { peakParticipants: 9, roomSize: 2, profile: capacity.json }\n'), out: '-' });
    expect(r.notes).toContain(
      `capacity: 4 participants on 2 bridges (2 each, rooms of 2) — measured: measured 2026-12-07 by bench --find-capacity (bench-results/find-capacity) from ${join(dir, 'capacity.json')}: 2 participants per bridge`,
    );
    expect(r.notes).toContain(
      '  profile from another setup: measured on the loopback look-alike bridges (loopback look-alike bridge (stress 0.4 per participant)), not on Jitsi Videobridge',
    );
    // 9 ÷ (2 × 0.8) = 5.6 → 6 bridges; a quarter of 9 ÷ 1.6 → 2
    expect(r.notes).toContain('for 9 participants at peak: 6 bridges (HPA min 2, max 6)');
    expect(r.notes).toContain('  9 participants ÷ 1.6 = 5.63 → 6 bridges (HPA max)');
    const other = runRender({ configPath: write('expect: { peakParticipants: 9, roomSize: 10, profile: capacity.json }\n'), out: '-' });
    expect(other.notes).toContain('  profile from another setup: measured with rooms of 2, planned for rooms of 10');
  });

  it('without a profile the NOTES say it is an estimate, from which source, and how to measure', () => {
    const r = runRender({ configPath: write('expect: { peakParticipants: 120, roomSize: 4 }\n'), out: '-' });
    expect(r.notes.find((n) => n.startsWith('capacity:'))).toMatch(
      /— an estimate, not measured: an estimate for rooms of 4: 84 per core × 1\.8 cores per bridge, from openfun load test 2022/,
    );
    expect(r.notes).toContain('  measure it on your deployment: jitsi-k8s bench --find-capacity --url https://<your Jitsi site> --room-size 4 --replicas 1,2');
  });

  it('apply (here its --dry-run: no cluster) gives the same measured capacity in its notes', async () => {
    writeFileSync(join(dir, 'capacity.json'), JSON.stringify(profile));
    const configPath = write('expect: { peakParticipants: 9, roomSize: 2, profile: capacity.json }\n');
    const rendered = runRender({ configPath, out: '-' });
    const r = await applyInstall({
      configPath,
      config: loadConfig(configPath).config,
      secrets: loadSecrets(secretsPathFor(configPath))!,
      yes: true,
      dryRun: true,
    });
    const capacity = r.notes.filter((n) => /^capacity:|^for \d+ participants at peak|^ {2}profile from another setup/.test(n));
    expect(capacity).toHaveLength(3);
    expect(capacity).toEqual(rendered.notes.filter((n) => capacity.includes(n)));
    expect(capacity[0]).toContain('— measured: measured 2026-12-07 by bench --find-capacity');
  });

  it('a profile file that is not there is an error naming expect.profile', () => {
    expect(() => runRender({ configPath: write('expect: { peakParticipants: 9, profile: missing.json }\n'), out: '-' })).toThrow(
      /expect\.profile: cannot read .*missing\.json: ENOENT/,
    );
  });
});
