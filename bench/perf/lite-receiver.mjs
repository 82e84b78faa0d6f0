#!/usr/bin/env node
// Where a lite receiver's CPU goes: one sender browser (360p@15 simulcast + audio, as the engine's
// defaults) and one receiver browser with 4 lite pages in one loopback room; over a steady window,
// the receiver browser's CPU per Chrome process type (browser, renderer, GPU, network, audio,
// other utility) from /proc, and per page. Flags to try on the receiver browser go after `--`.
// --no-script-transform: the pages take the fallback path (every received frame through JavaScript on
// the page's thread, as lite pages did before 2026-11-30), for a before/after on the same machine.
//   npm run build && node bench/perf/lite-receiver.mjs [--pages 4] [--senders 1] [--seconds 20] [--viewport 1280x720] [--no-script-transform] [-- --extra-chrome-flag …]
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import puppeteer from 'puppeteer-core';
import { browserFlags, writeFakeVideo } from '../../dist/bench/browsers.js';
import { findBrowser } from '../../dist/bench/find-browser.js';
import { PROBE_SCRIPT } from '../../dist/bench/probe.js';
import { startLoopbackConference } from '../../dist/bench/loopback/server.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    pages: { type: 'string', default: '4' },
    senders: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '20' },
    viewport: { type: 'string', default: '1280x720' },
    'no-script-transform': { type: 'boolean', default: false },
  },
});
const [vw, vh] = values.viewport.split('x').map(Number);
const video = { width: 640, height: 360, fps: 15 };
const TICK = 100;

/** pid → { type, cpu seconds } for a process tree */
function tree(root) {
  const procs = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.push({ pid: Number(d), ppid: Number(rest[1]), cpu: (Number(rest[11]) + Number(rest[12])) / TICK });
    } catch {
      // gone
    }
  }
  const out = new Map();
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    const p = procs.find((x) => x.pid === pid);
    if (!p) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      // gone
    }
    const type = /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'browser';
    const sub = /--utility-sub-type=([\w.]+)/.exec(cmd)?.[1];
    const label = type === 'utility' ? (/network/i.test(sub ?? '') ? 'network' : /audio/i.test(sub ?? '') ? 'audio' : `utility ${sub ?? ''}`) : type;
    out.set(pid, { type: label, cpu: p.cpu });
    for (const c of procs) if (c.ppid === pid) stack.push(c.pid);
  }
  return out;
}

/** what each page has received and decoded so far */
const inbound = (pages) =>
  Promise.all(
    pages.map((p) =>
      p.evaluate(async () => {
        const o = { videoPackets: 0, framesDecoded: 0, audioPackets: 0, audioSamples: 0 };
        for (const pc of window.__jk8sProbe.pcs) {
          (await pc.getStats()).forEach((r) => {
            if (r.type !== 'inbound-rtp') return;
            if (r.kind === 'video')
              Object.assign(o, { videoPackets: o.videoPackets + r.packetsReceived, framesDecoded: o.framesDecoded + (r.framesDecoded ?? 0) });
            else Object.assign(o, { audioPackets: o.audioPackets + r.packetsReceived, audioSamples: o.audioSamples + (r.totalSamplesReceived ?? 0) });
          });
        }
        return o;
      }),
    ),
  );

const conf = await startLoopbackConference('127.0.0.1');
const executablePath = findBrowser();
const launch = (kind, extra = []) =>
  puppeteer.launch({
    executablePath,
    pipe: true,
    headless: true,
    defaultViewport: { width: vw, height: vh },
    args: [
      ...browserFlags({
        kind,
        video,
        loopback: true,
        fakeVideoFile: kind === 'sender' ? writeFakeVideo(video) : undefined,
        viewport: { width: vw, height: vh },
      }),
      ...extra,
    ],
  });
const url = (q) => `${conf.url}?${new URLSearchParams({ room: 'lite', allow: conf.host, w: '640', h: '360', fps: '15', simulcast: '1', ...q })}`;
const browsers = [];
try {
  const sender = await launch('sender');
  browsers.push(sender);
  for (let i = 0; i < Number(values.senders); i++) await (await sender.newPage()).goto(url({ name: `sender-${i}`, video: '1', audio: '1', lite: '0' }));
  const receiver = await launch('receiver', positionals);
  browsers.push(receiver);
  const pages = [];
  for (let i = 0; i < Number(values.pages); i++) {
    const p = await receiver.newPage();
    await p.evaluateOnNewDocument(PROBE_SCRIPT);
    if (values['no-script-transform']) await p.evaluateOnNewDocument('delete window.RTCRtpScriptTransform;');
    await p.goto(url({ name: `lite-${i}`, video: '0', audio: '0', lite: '1' }));
    pages.push(p);
  }
  // settle: connections up, the sender's rate ramped
  await new Promise((r) => setTimeout(r, 8_000));
  const load0 = loadavg()[0];
  const pid = receiver.process().pid;
  const before = tree(pid);
  const received0 = await inbound(pages);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, Number(values.seconds) * 1000));
  const wall = (Date.now() - t0) / 1000;
  const after = tree(pid);
  const received1 = await inbound(pages);
  const byType = new Map();
  for (const [p, a] of after) {
    const d = a.cpu - (before.get(p)?.cpu ?? 0);
    byType.set(a.type, (byType.get(a.type) ?? 0) + d / wall);
  }
  const total = [...byType.values()].reduce((a, b) => a + b, 0);
  console.log(
    `receiver browser, ${pages.length} lite pages, ${values.senders} sender(s), viewport ${values.viewport}, flags: ${positionals.join(' ') || '(engine defaults)'}${values['no-script-transform'] ? ', fallback path (frames through JavaScript)' : ''}`,
  );
  console.log(`load average ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)}`);
  // the same streams must have arrived in both runs of a comparison; video never decoded
  const rate = (i, k) => ((received1[i][k] - received0[i][k]) / wall).toFixed(0);
  console.log(
    `per page in the window, per s: ${received1.map((o, i) => `video ${rate(i, 'videoPackets')} pkts (${o.framesDecoded} frames decoded in all), audio ${rate(i, 'audioPackets')} pkts (${o.audioSamples} samples decoded in all)`).join('; ')}`,
  );
  for (const [t, c] of [...byType].sort((a, b) => b[1] - a[1])) console.log(`  ${t.padEnd(28)} ${c.toFixed(3)} core`);
  console.log(`  ${'total'.padEnd(28)} ${total.toFixed(3)} core = ${(total / pages.length).toFixed(3)} core per lite page`);
} finally {
  for (const b of browsers) await b.close().catch(() => {});
  await conf.close();
}
