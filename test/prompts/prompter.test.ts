/**
 * The real @inquirer prompts with our question configs: rendered with @inquirer/testing, and the
 * real prompter over a stream pair for Ctrl-C / Esc. No scripted answers here.
 */
import { PassThrough } from 'node:stream';
import { checkbox, input, number, password, select } from '@inquirer/prompts';
import { render } from '@inquirer/testing';
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { inquirerConfig, inquirerPrompter, promptError, type Prompter } from '../../src/prompts/prompter.js';
import { askDomain } from '../../src/prompts/ask-cluster.js';
import { askStorageClass } from '../../src/prompts/ask-components.js';
import { askExposure, askTailscaleOAuth } from '../../src/prompts/ask-exposure.js';
import { askCodecs } from '../../src/prompts/ask-video.js';
import { askTls } from '../../src/prompts/ask-tls.js';
import type { ClusterFacts } from '../../src/cluster/facts.js';

type Rendered = Awaited<ReturnType<typeof render>>;
type Driver = (name: string, r: Rendered) => Promise<void> | void;

/** A Prompter whose every question is a real @inquirer prompt rendered by @inquirer/testing. */
function renderPrompter(drive: Driver, notes: string[] = []): Prompter {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const via = async (prompt: any, config: unknown, name: string): Promise<any> => {
    const r = await render(prompt, config);
    await drive(name, r);
    return r.answer.catch((e: unknown) => {
      throw promptError(e);
    });
  };
  return {
    input: (q) => via(input, inquirerConfig.input(q), q.name).then((v: string) => v.trim()),
    number: (q) => via(number, inquirerConfig.number(q), q.name),
    confirm: () => Promise.reject(new Error('not used')),
    select: (q) => via(select, inquirerConfig.select(q), q.name),
    checkbox: (q) => via(checkbox, inquirerConfig.checkbox(q), q.name),
    password: (q) => via(password, inquirerConfig.password(q), q.name),
    note: (t) => notes.push(t),
  };
}

const FACTS: ClusterFacts = {
  context: 'prod',
  nodes: { total: 3, schedulable: 3, common: { cpu: 8, memoryGiB: 32 }, sizes: [{ cpu: 8, memoryGiB: 32, count: 3 }] },
  storageClasses: [
    { name: 'fast-ssd', provisioner: 'ebs.csi.aws.com', isDefault: true },
    { name: 'nfs', provisioner: 'nfs.csi.k8s.io', isDefault: false },
  ],
};

describe('questions rendered by the real prompts (@inquirer/testing)', () => {
  it('domain: invalid input is refused inline, a valid one accepted', async () => {
    const screens: string[] = [];
    const p = renderPrompter(async (_name, r) => {
      r.events.type('https://meet.example.com');
      r.events.keypress('enter');
      await new Promise((res) => setTimeout(res, 20));
      screens.push(r.getScreen());
      // clear the line and type a good name
      for (let i = 0; i < 40; i++) r.events.keypress('backspace');
      r.events.type('meet.example.com');
      r.events.keypress('enter');
    });
    await expect(askDomain(p, undefined)).resolves.toBe('meet.example.com');
    expect(screens[0]).toContain('just the host name: no https://');
  });

  it('storage class: the cluster default is marked and pre-selected', async () => {
    const notes: string[] = [];
    let screen = '';
    const p = renderPrompter((_n, r) => {
      screen = r.getScreen();
      r.events.keypress('enter');
    }, notes);
    await expect(askStorageClass(p, { storageClass: undefined }, FACTS, true)).resolves.toEqual({ storageClass: 'fast-ssd' });
    expect(screen).toMatch(/❯ fast-ssd \(default\)/);
    expect(screen).toContain('nfs');
    expect(screen).toContain('no volume');
    expect(screen).toContain('provisioner ebs.csi.aws.com');
    expect(notes.join('\n')).toContain('ReadWriteMany');
  });

  it('storage class: the current value wins over the cluster default; down-arrow picks the next', async () => {
    let screen = '';
    const p = renderPrompter((_n, r) => {
      screen = r.getScreen();
      r.events.keypress('down');
      r.events.keypress('enter');
    });
    await expect(askStorageClass(p, { storageClass: 'nfs' }, FACTS, false)).resolves.toBeNull(); // nfs → no volume
    expect(screen).toMatch(/❯ nfs/);
  });

  it('exposure: each mode says who can join', async () => {
    const screens: string[] = [];
    const p = renderPrompter((_n, r) => {
      screens.push(r.getScreen());
      r.events.keypress('down');
      r.events.keypress('down');
      screens.push(r.getScreen());
      r.events.keypress('enter');
    });
    await expect(askExposure(p, 'loadBalancer')).resolves.toBe('hostPort');
    expect(screens[0]).toContain('who can join: anyone on the internet; the load balancer must carry UDP');
    expect(screens[1]).toContain('who can join: anyone who can reach the nodes directly');
  });

  it("TLS on a cluster without cert-manager: Let's Encrypt is listed with the reason and the cursor never lands on it", async () => {
    const screens: string[] = [];
    const notes: string[] = [];
    const p = renderPrompter((_n, r) => {
      screens.push(r.getScreen());
      // from the default (secret) up: the disabled first row is skipped, the cursor wraps to the last
      r.events.keypress('up');
      screens.push(r.getScreen());
      r.events.keypress('enter');
    }, notes);
    await expect(askTls(p, 'secret', 'prod')).resolves.toBe('none');
    expect(screens[0]).toContain("- Let's Encrypt via cert-manager (cert-manager not found in cluster prod)");
    expect(screens[0]).toMatch(/❯ existing TLS Secret/);
    expect(screens[1]).toMatch(/❯ none/);
    expect(notes[1]).toMatch(/^Let's Encrypt needs cert-manager, which cluster prod does not have: install it first/);
  });

  it('codecs: checkbox then the preferred one first', async () => {
    const p = renderPrompter((name, r) => {
      if (name === 'codecs') {
        // VP9, VP8, H264 checked; toggle H264 off (third row), AV1 stays off
        r.events.keypress('down');
        r.events.keypress('down');
        r.events.keypress('space');
        r.events.keypress('enter');
      } else {
        r.events.keypress('down'); // VP8
        r.events.keypress('enter');
      }
    });
    await expect(askCodecs(p, ['VP9', 'VP8', 'H264'])).resolves.toEqual(['VP8', 'VP9']);
  });

  it('secrets are masked on the screen', async () => {
    const screens: string[] = [];
    const p = renderPrompter((_n, r) => {
      r.events.type('super-secret-value');
      screens.push(r.getScreen());
      r.events.keypress('enter');
    });
    await expect(askTailscaleOAuth(p)).resolves.toEqual({ clientId: 'super-secret-value', clientSecret: 'super-secret-value' });
    for (const s of screens) {
      expect(s).not.toContain('super-secret-value');
      expect(s).toContain('*'.repeat(18));
    }
  });

  it('Ctrl-C at a rendered prompt maps to InterruptedError', async () => {
    const p = renderPrompter((_n, r) => r.events.keypress({ name: 'c', ctrl: true }));
    await expect(askDomain(p, 'meet.example.com')).rejects.toBeInstanceOf(InterruptedError);
  });
});

describe('the real prompter on a stream pair (what the terminal does)', () => {
  function terminal() {
    const stdin = new PassThrough();
    const stderr = new PassThrough();
    let shown = '';
    stderr.on('data', (d: Buffer) => (shown += d.toString()));
    return { stdin, stderr, shown: () => shown, prompter: inquirerPrompter({ input: stdin, output: stderr }) };
  }
  const tick = () => new Promise((r) => setTimeout(r, 30));

  it('typed keys answer the question; it renders on the given output (stderr), not stdout', async () => {
    const t = terminal();
    const answer = t.prompter.input({ name: 'domain', message: 'Domain', validate: () => true });
    await tick();
    t.stdin.write('meet.example.com\r');
    await expect(answer).resolves.toBe('meet.example.com');
    expect(t.shown()).toContain('Domain');
  });

  it('Ctrl-C → InterruptedError', async () => {
    const t = terminal();
    const answer = t.prompter.number({ name: 'jvbReplicas', message: 'Video bridges', default: 1 });
    await tick();
    t.stdin.write('\x03');
    await expect(answer).rejects.toBeInstanceOf(InterruptedError);
    await expect(answer).rejects.toThrow('cancelled at a prompt; nothing was written');
  });

  it('Esc → InterruptedError', async () => {
    const t = terminal();
    const answer = t.prompter.select({ name: 'exposure', message: 'Exposure', choices: [{ value: 'a', name: 'a' }, { value: 'b', name: 'b' }] });
    await tick();
    t.stdin.write('\x1b');
    await expect(answer).rejects.toBeInstanceOf(InterruptedError);
  });

  it('other errors pass through unchanged', () => {
    const e = new TypeError('boom');
    expect(promptError(e)).toBe(e);
  });
});

describe('Ctrl-C outside a prompt (SIGINT → the process-wide interrupt signal)', () => {
  it('cancels the next prompt at once', async () => {
    const { interrupt } = await import('../../src/interrupt.js');
    interrupt(); // what cli.ts does on SIGINT; this test file's process keeps it aborted from here on
    const stdin = new PassThrough();
    const p = inquirerPrompter({ input: stdin, output: new PassThrough() });
    await expect(p.confirm({ name: 'x', message: 'x' })).rejects.toBeInstanceOf(InterruptedError);
  });
});
