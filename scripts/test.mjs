// `npm test`: check the system tools and the chart, build, extract helm/kubectl, run vitest, print the one closing line CI reads.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { extractTools } from './tools.mjs';
import { missingSystemTools } from './system-tools.mjs';
import { missingTestChart } from './test-chart.mjs';

const closing = (passed, failed, skipped) => console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);

// the Node the package supports (package.json engines, ">=MAJOR.MINOR"); CI and the tests run on the one in .nvmrc
const engines = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
const [, needMajor, needMinor] = /^>=(\d+)\.(\d+)$/.exec(engines).map(Number);
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < needMajor || (major === needMajor && minor < needMinor)) {
  console.error(
    `error: the tests need Node ${needMajor}.${needMinor} or newer (package.json engines); this is Node ${process.versions.node} (${process.execPath})`,
  );
  console.error('hint: export PATH="$(bash scripts/node.sh | tail -1):$PATH" installs the pinned Node (.nvmrc) and puts it first, then run npm test again');
  closing(0, 1, 0);
  process.exit(1);
}

// fail at once, naming the one install command, rather than minutes later inside a test
const missing = missingSystemTools();
if (missing) {
  console.error(`error: the tests need ${missing.commands.join(', ')}, not found on PATH`);
  console.error(`hint: ${missing.install}`);
  closing(0, 1, 0);
  process.exit(1);
}
// the real jitsi-meet chart: every chart test templates it and every install on the test control plane uses it
const noChart = missingTestChart();
if (noChart) {
  console.error(`error: ${noChart.error}`);
  console.error(`hint: ${noChart.hint}`);
  closing(0, 1, 0);
  process.exit(1);
}

const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', env: process.env });
if (build.status !== 0) {
  closing(0, 1, 0);
  process.exit(1);
}

extractTools();
const report = '.vitest-report.json';
rmSync(report, { force: true });
// JK8S_TEST_FILES narrows the run: the Quick start test runs `npm test` in a fresh clone without recursing into itself
const files = (process.env.JK8S_TEST_FILES ?? '').split(/\s+/).filter(Boolean);
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${report}`, ...files, ...process.argv.slice(2)];
const run = spawnSync('npx', args, { stdio: 'inherit', env: process.env });
let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests ?? 0;
  // a file that failed without a failing test (an import error, a hook that threw) counts once; vitest's
  // numFailedTestSuites also counts the describe blocks around a failing test, which would count it twice
  const brokenFiles = (r.testResults ?? []).filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed')).length;
  failed = (r.numFailedTests ?? 0) + brokenFiles;
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
} else {
  failed = 1;
}
closing(passed, failed, skipped);
process.exit(run.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
