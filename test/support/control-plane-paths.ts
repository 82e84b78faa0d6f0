import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** where the test run's control plane keeps its state, kubeconfig and logs (git-ignored) */
export const CONTROL_PLANE_DIR = join(root, '.cluster-test');
/** present when this run has no control plane; holds the reason */
export const CONTROL_PLANE_SKIP = join(root, '.cluster-test.skip');
