/** Files shipped beside dist/ in the package (package.json, templates/). */
import { existsSync } from 'node:fs';

let root: URL | undefined;

/** The URL of a package file, found from this module whether it runs from src/, dist/ or a bundle chunk. */
export function packageFile(relative: string): URL {
  if (!root) {
    let dir = new URL('./', import.meta.url);
    // the nearest folder holding package.json is the package: src/ and dist/ (and dist/chunks/) sit inside it
    while (!existsSync(new URL('package.json', dir))) {
      const up = new URL('../', dir);
      if (up.href === dir.href) throw new Error(`no package.json above ${import.meta.url}`);
      dir = up;
    }
    root = dir;
  }
  return new URL(relative, root);
}
