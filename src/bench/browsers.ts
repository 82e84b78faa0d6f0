/**
 * The browser pool: real Chrome/Chromium processes driven by puppeteer-core, several pages each.
 * Senders' browsers get the fake camera at the scenario's size and frame rate (fake media is per
 * browser process). The runner closes every browser in `finally`; whatever else ends this process
 * (a second signal, SIGKILL, the OOM killer) ends its browsers too: see launchBrowser.
 */
import { existsSync, mkdirSync, openSync, writeSync, closeSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { CommandError, InterruptedError } from '../errors.js';
import { withTimeout } from './step/timing.js';

export const BASE_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  '--mute-audio',
  '--disable-renderer-backgrounding',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
];

/** The local conference only uses loopback (or namespace) addresses: let Chrome gather them, unobfuscated. */
export const LOOPBACK_FLAGS = ['--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns'];

export interface BrowserOptions {
  kind: 'sender' | 'receiver';
  video: { width: number; height: number; fps: number };
  loopback: boolean;
  /** a y4m file for the fake camera (senders); Chrome's own pattern when absent */
  fakeVideoFile?: string;
  /** an origin served over plain http (a loopback conference on a namespace address, an http site): getUserMedia needs a secure context */
  trustedOrigin?: string;
  /** page size: Jitsi picks the video layer to receive by tile size */
  viewport: { width: number; height: number };
  /** accept certificates Chrome cannot verify (self-signed, internal CA) */
  insecure?: boolean;
}

export function browserFlags(o: BrowserOptions): string[] {
  const flags = [...BASE_FLAGS];
  if (o.kind === 'sender') {
    flags.push(`--use-fake-device-for-media-stream=fps=${o.video.fps}`);
    if (o.fakeVideoFile) flags.push(`--use-file-for-fake-video-capture=${o.fakeVideoFile}`);
  } else {
    flags.push('--use-fake-device-for-media-stream');
  }
  if (o.loopback) flags.push(...LOOPBACK_FLAGS);
  if (o.trustedOrigin) flags.push(`--unsafely-treat-insecure-origin-as-secure=${o.trustedOrigin}`);
  // pages, their WebSockets and workers alike
  if (o.insecure) flags.push('--ignore-certificate-errors');
  return flags;
}

/**
 * A looping y4m clip for the fake camera (header C420 as Chrome requires): a bright bar moving
 * over a gradient, one second long, so the encoder has motion to encode but no noise.
 */
export function writeFakeVideo(video: { width: number; height: number; fps: number }, dir = tmpdir()): string {
  const w = video.width - (video.width % 2);
  const h = video.height - (video.height % 2);
  const path = join(dir, `jitsi-k8s-fake-${w}x${h}-${video.fps}.y4m`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `YUV4MPEG2 W${w} H${h} F${video.fps}:1 Ip A1:1 C420\n`);
    const luma = Buffer.alloc(w * h);
    const chroma = Buffer.alloc((w / 2) * (h / 2));
    const frames = video.fps;
    for (let f = 0; f < frames; f++) {
      const bar = Math.floor((f / frames) * w);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) luma[y * w + x] = Math.abs(x - bar) < w / 16 ? 235 : 16 + Math.floor(((x + y) / (w + h)) * 180);
      }
      writeSync(fd, 'FRAME\n');
      writeSync(fd, luma);
      writeSync(fd, chroma.fill(128 + ((f * 4) % 64)));
      writeSync(fd, chroma.fill(128));
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return path;
}

export interface LaunchedBrowser {
  browser: Browser;
  pid?: number;
  kind: 'sender' | 'receiver';
  /** the browser's last lines on stderr: why it died, when it does */
  stderrTail(): string;
}

const STDERR_LINES = 20;

/**
 * Starts one browser. `stop` (the run's interrupt) ends a launch still in progress, killing the
 * browser, with an InterruptedError; a browser already started is the caller's to close.
 */
export async function launchBrowser(executablePath: string, o: BrowserOptions, stop?: AbortSignal): Promise<LaunchedBrowser> {
  const puppeteer = (await import('puppeteer-core')).default;
  if (stop?.aborted) throw new InterruptedError('interrupted: no browser was started');
  // puppeteer closes the browser whenever its signal aborts: this one aborts only while the launch runs
  const launching = new AbortController();
  const abortLaunch = () => launching.abort();
  stop?.addEventListener('abort', abortLaunch, { once: true });
  try {
    const browser = await puppeteer.launch({
      signal: launching.signal,
      executablePath,
      headless: true,
      args: browserFlags(o),
      // DevTools over the browser's stdin/stdout: when this process dies, even by SIGKILL, the pipe
      // closes and Chrome exits (with a port it outlives us; checked with Debian Chromium 156)
      pipe: true,
      // cli.ts owns SIGINT/SIGTERM/SIGHUP: the run stops, then closes its browsers itself
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      protocolTimeout: 60_000,
      defaultViewport: o.viewport,
      acceptInsecureCerts: o.insecure === true,
    });
    const tail: string[] = [];
    browser.process()?.stderr?.on('data', (d: Buffer) => {
      tail.push(...String(d).split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - STDERR_LINES));
    });
    return { browser, pid: browser.process()?.pid, kind: o.kind, stderrTail: () => tail.join('\n') };
  } catch (e) {
    if (stop?.aborted) throw new InterruptedError('interrupted while a browser was starting: it was killed');
    // the whole message (puppeteer includes the browser's stderr) says whether the machine ran out
    const message = (e as Error).message;
    throw new CommandError(`cannot start ${executablePath}: ${message.split('\n')[0]}`, 'check the browser runs (`chromium --version`), or pass another one with --browser', message);
  } finally {
    stop?.removeEventListener('abort', abortLaunch);
  }
}

/** Closes a browser; kills its process group when it does not close in time. Never throws. */
export async function closeBrowser(b: LaunchedBrowser, timeoutMs = 5_000): Promise<void> {
  try {
    await withTimeout(b.browser.close(), timeoutMs, 'closing the browser');
  } catch {
    killBrowser(b);
  }
}

/** Kills the browser and its helpers (puppeteer starts it as the leader of its own process group). */
function killBrowser(b: LaunchedBrowser): void {
  if (b.pid === undefined) return;
  try {
    process.kill(-b.pid, 'SIGKILL');
  } catch {
    b.browser.process()?.kill('SIGKILL');
  }
}
