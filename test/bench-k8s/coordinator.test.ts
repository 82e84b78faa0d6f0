/** The coordinator's line parser (pure). The coordinator itself runs against the real control plane: test/k8s/bench-job.test.ts. */
import { describe, expect, it } from 'vitest';
import { parseWorkerLine } from '../../src/bench/k8s/coordinator.js';

describe('k8s runner coordinator', () => {
  it('recognises sample lines and tags them; ignores everything else', () => {
    expect(parseWorkerLine('{"kind":"event","event":"joined","t":1}', 2, 'p')).toMatchObject({ kind: 'event', shard: 2, pod: 'p' });
    expect(parseWorkerLine('npm warn something', 0, 'p')).toBeUndefined();
    expect(parseWorkerLine('{"hello":1}', 0, 'p')).toBeUndefined();
    expect(parseWorkerLine('{"kind":"participant"', 0, 'p')).toBeUndefined();
  });
});
