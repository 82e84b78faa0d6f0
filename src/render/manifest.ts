/** One extra manifest (data + commented YAML) and the labels every extra carries: shared by manifests.ts and monitoring.ts. */
import type { Document } from 'yaml';
import type { Config } from '../config/schema.js';
import { chartFullname } from './values.js';

export interface Manifest {
  /** file name inside the extras chart's templates/ */
  file: string;
  kind: string;
  name: string;
  /** the manifest as data (what the cluster gets) */
  object: Record<string, unknown>;
  /** the manifest as commented YAML, filled from its base in templates/ */
  yaml: string;
  /** a helm template of the extras chart (filled by helm at apply time: secrets), not a plain manifest */
  helmTemplate?: boolean;
}

export function manifest(file: string, doc: Document, helmTemplate = false): Manifest {
  const object = doc.toJS() as Record<string, unknown>;
  const meta = object.metadata as { name: string };
  return { file, kind: String(object.kind), name: meta.name, object, yaml: doc.toString({ lineWidth: 0 }), ...(helmTemplate ? { helmTemplate } : {}) };
}

export const MANAGED_BY = 'jitsi-k8s';

export function extrasLabels(config: Config, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/part-of': chartFullname(config.cluster.release),
    'app.kubernetes.io/component': component,
    'jitsi-k8s/release': config.cluster.release,
  };
}
