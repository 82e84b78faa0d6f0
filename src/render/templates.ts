/** Reads the shipped, commented YAML bases in templates/ and the bundled programs in dist/ (the only file access render/ does). */
import { readFileSync } from 'node:fs';
import { parseDocument, type Document } from 'yaml';
import { packageFile } from '../package-file.js';

const cache = new Map<string, string>();

/** templates/ sits beside dist/ and src/ in the package. */
export function templatePath(name: string): URL {
  return packageFile(`templates/${name}`);
}

/** A template's text as shipped (a helm template goes into a chart unchanged). */
export function loadTemplateText(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(templatePath(name), 'utf8');
    cache.set(name, text);
  }
  return text;
}

/** A fresh Document of a template: fill it with setIn, keep its comments. */
export function loadTemplateDocument(name: string): Document {
  return parseDocument(loadTemplateText(name));
}

/** A program the build bundles into dist/ (the deletion-cost keeper), shipped into the cluster in a ConfigMap. */
export function loadProgram(name: string): string {
  const key = `dist/${name}`;
  let text = cache.get(key);
  if (text === undefined) {
    try {
      text = readFileSync(packageFile(key), 'utf8');
    } catch {
      throw new Error(`${key} is missing: build jitsi-k8s first (npm run build)`);
    }
    cache.set(key, text);
  }
  return text;
}
