/** Finds a Chrome/Chromium to drive: --browser, else PUPPETEER_EXECUTABLE_PATH, else well-known paths. */
import { accessSync, constants } from 'node:fs';
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
  const found = CANDIDATES.find(executable);
  if (found) return found;
  throw new CommandError(
    'no Chrome or Chromium found',
    'install one (Debian/Ubuntu: apt-get install -y chromium; macOS: install Google Chrome) or pass --browser /path/to/chrome',
  );
}
