/** Reads the shipped YAML bases in templates/ (the only file access render/ does). */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const cache = new Map<string, unknown>();

/** templates/ sits beside dist/ and src/ in the package. */
export function templatePath(name: string): URL {
  return new URL(`../../templates/${name}`, import.meta.url);
}

export function loadTemplate<T = Record<string, unknown>>(name: string): T {
  let doc = cache.get(name);
  if (doc === undefined) {
    doc = parse(readFileSync(templatePath(name), 'utf8')) as unknown;
    cache.set(name, doc);
  }
  return structuredClone(doc) as T;
}
