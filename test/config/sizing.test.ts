import { describe, expect, it } from 'vitest';
import { parseCpuMilli, parseMemoryMiB, sizeRelease } from '../../src/config/sizing.js';
import { config } from '../support/config.js';

describe('sizing from node size', () => {
  it('parses Kubernetes quantities', () => {
    expect(parseCpuMilli('500m')).toBe(500);
    expect(parseCpuMilli('2')).toBe(2000);
    expect(parseCpuMilli('1.5')).toBe(1500);
    expect(parseMemoryMiB('512Mi')).toBe(512);
    expect(parseMemoryMiB('4Gi')).toBe(4096);
    expect(parseMemoryMiB('1G')).toBeCloseTo(953.67, 1);
  });

  it('gives the JVB half a node of CPU, a memory limit above the heap and no CPU limit', () => {
    const s = sizeRelease(config({ nodes: { count: 3, cpu: 8, memoryGiB: 32 } }));
    const jvb = s.components.find((c) => c.component === 'jvb')!;
    expect(jvb.cpuMilli).toBe(3600); // 8 cores × 0.9 allocatable / 2
    expect(jvb.resources.limits?.cpu).toBeUndefined();
    expect(jvb.memoryLimitMiB).toBe(3072 + 768);
    expect(s.jvbHeapMiB).toBe(3072);
    expect(s.jvbHeapMiB).toBeLessThan(jvb.memoryLimitMiB!);
  });

  it('shrinks the heap on small nodes and keeps it under the limit', () => {
    const s = sizeRelease(config({ nodes: { count: 2, cpu: 2, memoryGiB: 4 } }));
    const jvb = s.components.find((c) => c.component === 'jvb')!;
    expect(s.jvbHeapMiB).toBe(1024);
    expect(jvb.memoryLimitMiB).toBe(1792);
    expect(jvb.cpuMilli).toBe(1000);
  });

  it('derives the heap from an explicit memory limit', () => {
    const s = sizeRelease(config({ components: { jvb: { resources: { requests: { cpu: '4', memory: '6Gi' }, limits: { memory: '6Gi' } } } } }));
    expect(s.jvbHeapMiB).toBe(3072); // capped at the image default
    const small = sizeRelease(config({ components: { jvb: { resources: { limits: { memory: '2Gi' } } } } }));
    expect(small.jvbHeapMiB).toBe(1280); // 2048 - 768
  });

  it('reports when the replicas do not fit the nodes', () => {
    const s = sizeRelease(config({ nodes: { count: 1, cpu: 4, memoryGiB: 8 }, components: { jvb: { replicas: 4 } } }));
    expect(s.fitProblems.join('\n')).toMatch(/request .* CPU in all; 1 nodes offer/);
    const ok = sizeRelease(config({ nodes: { count: 3, cpu: 8, memoryGiB: 32 }, components: { jvb: { replicas: 2 } } }));
    expect(ok.fitProblems).toEqual([]);
  });

  it('reports a pod bigger than any node', () => {
    const s = sizeRelease(config({ nodes: { count: 10, cpu: 2, memoryGiB: 8 }, components: { jibri: { enabled: true, replicas: 1, resources: { requests: { cpu: '3' } } } } }));
    expect(s.fitProblems[0]).toMatch(/one jibri pod requests 3 CPU/);
  });

  it.each([
    // 8-core nodes: a bridge requests half of 7.2 allocatable cores = 3.6
    [5, 84, 'openfun'],
    [10, 11, 'community report'],
    [30, 4, 'Kubernetes study'],
  ])('estimates the capacity of rooms of %i from the published figure for that shape (%i per core, %s)', (roomSize, perCore, source) => {
    const s = sizeRelease(config({ nodes: { count: 3, cpu: 8, memoryGiB: 32 }, components: { jvb: { replicas: 2 } }, expect: { peakParticipants: 900, roomSize } }));
    expect(s.capacity.kind).toBe('estimate');
    expect(s.capacity.perBridge).toBe(Math.floor(perCore * 3.6));
    expect(s.capacity.participants).toBe(2 * Math.floor(perCore * 3.6));
    expect(s.capacity.source).toContain(source);
    expect(s.capacity.measure).toBe(`jitsi-k8s bench --find-capacity --url https://<your Jitsi site> --room-size ${roomSize} --replicas 1,2`);
    // bridges for the peak at 80 % of a bridge's capacity, the HPA floor for a quarter of it
    const usable = Math.floor(perCore * 3.6) * 0.8;
    expect(s.plan).toMatchObject({ peak: 900, bridges: Math.ceil(900 / usable), max: Math.ceil(900 / usable), min: Math.ceil(225 / usable) });
  });
});
