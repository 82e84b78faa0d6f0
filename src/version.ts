import { readFileSync } from 'node:fs';
import { packageFile } from './package-file.js';

/** The package version, read from the package's package.json when first asked. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
