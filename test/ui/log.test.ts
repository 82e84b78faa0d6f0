/** The logger's colours: chalk's bytes at level 1 when colour is on (chalk loads only then), plain text when off. */
import { describe, expect, it } from 'vitest';
import { createLogger, loadColors } from '../../src/ui/log.js';

describe('logger colours', () => {
  it('on: each style wraps the text in its ANSI code and close', async () => {
    const on = await loadColors(true);
    expect(on.red('error:')).toBe('\u001B[31merror:\u001B[39m');
    expect(on.yellow('warning:')).toBe('\u001B[33mwarning:\u001B[39m');
    expect(on.green('✔')).toBe('\u001B[32m✔\u001B[39m');
    expect(on.cyan('hint:')).toBe('\u001B[36mhint:\u001B[39m');
    expect(on.gray('debug: x')).toBe('\u001B[90mdebug: x\u001B[39m');
    expect(on.dim('note')).toBe('\u001B[2mnote\u001B[22m');
  });

  it('off: the text as it is', async () => {
    const off = await loadColors(false);
    expect(off.red('error:')).toBe('error:');
    expect(off.dim('a\nb')).toBe('a\nb');
  });

  it('the logger writes them: error and hint coloured, the message plain; no colours given, none written', async () => {
    let out = '';
    createLogger({ colors: await loadColors(true) }, (s) => (out += s)).error('it broke\nbadly', 'do this');
    expect(out).toBe('\u001B[31merror:\u001B[39m it broke\nbadly\n\u001B[36mhint:\u001B[39m do this\n');
    out = '';
    createLogger({}, (s) => (out += s)).warn('careful');
    expect(out).toBe('warning: careful\n');
  });
});
