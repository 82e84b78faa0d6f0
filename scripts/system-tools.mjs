// The system tools the tests run for real, and the Debian package that brings each one.
// .ci/run installs these packages (test/cli/quickstart.test.ts keeps its apt-get line in step).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const systemTools = [
  { command: 'chromium', aptPackage: 'chromium' },
  { command: 'ip', aptPackage: 'iproute2' },
  { command: 'nft', aptPackage: 'nftables' },
  { command: 'openssl', aptPackage: 'openssl' },
  { command: 'prosody', aptPackage: 'prosody' },
  { command: 'turnserver', aptPackage: 'coturn' },
];

function onPath(command, path) {
  return (path ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The tools missing from PATH, and the one command that installs them all (undefined when none is missing). */
export function missingSystemTools(path = process.env.PATH) {
  const missing = systemTools.filter((t) => !onPath(t.command, path));
  if (missing.length === 0) return undefined;
  return { commands: missing.map((t) => t.command), install: `apt-get install -y ${missing.map((t) => t.aptPackage).join(' ')}` };
}
