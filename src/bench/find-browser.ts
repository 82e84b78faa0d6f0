/** Finds a Chrome/Chromium to drive: --browser, else PUPPETEER_EXECUTABLE_PATH, else puppeteer's cache (as puppeteer itself does), else well-known paths. */
import { accessSync, constants, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CommandError } from '../errors.js';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
  '/opt/google/chrome/chrome',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Chrome as puppeteer installs it: <cache>/chrome/linux-<version>/chrome-linux64/chrome, the cache
 * being PUPPETEER_CACHE_DIR or ~/.cache/puppeteer. The official puppeteer image keeps its Chrome
 * there (/home/pptruser/.cache/puppeteer, puppeteer's docker/Dockerfile). Newest version first.
 */
export function puppeteerCacheChrome(env: NodeJS.ProcessEnv = process.env, home = env.HOME || homedir()): string | undefined {
  const root = join(env.PUPPETEER_CACHE_DIR || join(home, '.cache', 'puppeteer'), 'chrome');
  let versions: string[];
  try {
    versions = readdirSync(root).filter((d) => d.startsWith('linux-'));
  } catch {
    return undefined;
  }
  const newestFirst = versions.sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  return newestFirst.map((v) => join(root, v, 'chrome-linux64', 'chrome')).find(executable);
}

export function findBrowser(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) {
    if (executable(explicit)) return explicit;
    throw new CommandError(`--browser ${explicit} is not an executable file`, 'give the path of a Chrome or Chromium binary');
  }
  const fromEnv = env.PUPPETEER_EXECUTABLE_PATH || env.CHROME_PATH;
  if (fromEnv) {
    if (executable(fromEnv)) return fromEnv;
    throw new CommandError(`PUPPETEER_EXECUTABLE_PATH=${fromEnv} is not an executable file`, 'point it at a Chrome or Chromium binary, or unset it');
  }
  const found = puppeteerCacheChrome(env) ?? CANDIDATES.find(executable);
  if (found) return found;
  throw new CommandError(
    'no Chrome or Chromium found',
    'install one (Debian/Ubuntu: apt-get install -y chromium; macOS: install Google Chrome; or `npx puppeteer browsers install chrome`) or pass --browser /path/to/chrome',
  );
}
