/** Reads the shipped, commented YAML bases in templates/ (the only file access render/ does). */
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
