/** The logger's colours: the bytes chalk 5 wrote at level 1 (what the logger used before), none when colour is off. */
import { describe, expect, it } from 'vitest';
import { colorsFor, createLogger } from '../../src/ui/log.js';

describe('logger colours', () => {
  const on = colorsFor(true);

  it('wraps text in the style and its own close', () => {
    expect(on.red('error:')).toBe('\u001B[31merror:\u001B[39m');
    expect(on.yellow('warning:')).toBe('\u001B[33mwarning:\u001B[39m');
    expect(on.green('✔')).toBe('\u001B[32m✔\u001B[39m');
    expect(on.cyan('hint:')).toBe('\u001B[36mhint:\u001B[39m');
    expect(on.gray('debug: x')).toBe('\u001B[90mdebug: x\u001B[39m');
    expect(on.dim('note')).toBe('\u001B[2mnote\u001B[22m');
  });

  it('closes the style before each line break and reopens it after', () => {
    expect(on.gray('a\nb')).toBe('\u001B[90ma\u001B[39m\n\u001B[90mb\u001B[39m');
    expect(on.dim('a\r\nb')).toBe('\u001B[2ma\u001B[22m\r\n\u001B[2mb\u001B[22m');
  });

  it('reopens the style after a nested close of the same kind', () => {
    expect(on.gray(`in ${on.red('red')} out`)).toBe('\u001B[90min \u001B[31mred\u001B[39m\u001B[90m out\u001B[39m');
    expect(on.dim(`x ${on.dim('d')} y`)).toBe('\u001B[2mx \u001B[2md\u001B[22m\u001B[2m y\u001B[22m');
  });

  it('leaves text alone when colour is off, and empty text always', () => {
    const off = colorsFor(false);
    expect(off.red('error:')).toBe('error:');
    expect(off.dim('a\nb')).toBe('a\nb');
    expect(on.red('')).toBe('');
  });

  it('the logger writes them: error and hint coloured, the message plain', () => {
    let out = '';
    createLogger({ color: true }, (s) => (out += s)).error('it broke\nbadly', 'do this');
    expect(out).toBe('\u001B[31merror:\u001B[39m it broke\nbadly\n\u001B[36mhint:\u001B[39m do this\n');
    out = '';
    createLogger({ color: false }, (s) => (out += s)).warn('careful');
    expect(out).toBe('warning: careful\n');
  });
});
