/** A Prompter driven by a script of answers keyed by question name; records what was asked. */
import type { CheckboxQuestion, Prompter, SelectQuestion } from '../../src/prompts/prompter.js';
import { promptError } from '../../src/prompts/prompter.js';

export interface Asked {
  kind: string;
  name: string;
  message: string;
  default?: unknown;
  choices?: { value: unknown; name: string; checked?: boolean; disabled?: string }[];
}

export interface Scripted extends Prompter {
  asked: Asked[];
  notes: string[];
  /** the answer given to each question, in order */
  answers: [string, unknown][];
}

/** Answer `DEFAULT` (or leave the name out) to take the question's default. */
export const DEFAULT = Symbol('default');

/** Different answers each time the same question comes (the wizard may go round again). */
export class Seq {
  constructor(readonly values: unknown[]) {}
}
export const seq = (...values: unknown[]) => new Seq(values);

export function scripted(script: Record<string, unknown>, opts: { cancelAt?: string; cancelWith?: 'ExitPromptError' | 'AbortPromptError' } = {}): Scripted {
  const asked: Asked[] = [];
  const notes: string[] = [];
  const answers: [string, unknown][] = [];
  function answer<T>(kind: string, q: { name: string; message: string; default?: unknown; validate?: (v: never) => true | string }, extra: Partial<Asked> = {}): T {
    asked.push({ kind, name: q.name, message: q.message, default: q.default, ...extra });
    if (q.name === opts.cancelAt) {
      // what @inquirer throws on Ctrl-C / an aborted prompt, through the real mapping
      const e = new Error('User force closed the prompt with SIGINT');
      e.name = opts.cancelWith ?? 'ExitPromptError';
      throw promptError(e);
    }
    let given = q.name in script ? script[q.name] : DEFAULT;
    if (given instanceof Seq) {
      if (given.values.length === 0) throw new Error(`question ${q.name} asked more often than scripted`);
      given = given.values.shift();
    }
    let value: unknown;
    if (given === DEFAULT) {
      value = kind === 'checkbox' ? (extra.choices ?? []).filter((c) => c.checked).map((c) => c.value) : q.default;
      if (value === undefined && kind !== 'input') throw new Error(`question ${q.name} has no default and no scripted answer`);
      value ??= '';
    } else {
      value = given;
    }
    if (q.validate) {
      const ok = q.validate(value as never);
      if (ok !== true) throw new Error(`scripted answer ${JSON.stringify(value)} for ${q.name} rejected: ${ok}`);
    }
    answers.push([q.name, value]);
    return value as T;
  }
  return {
    asked,
    notes,
    answers,
    input: async (q) => answer<string>('input', q),
    number: async (q) => {
      const v = answer<number>('number', q);
      if (q.min !== undefined && v < q.min) throw new Error(`${q.name}: ${v} < min ${q.min}`);
      if (q.max !== undefined && v > q.max) throw new Error(`${q.name}: ${v} > max ${q.max}`);
      return v;
    },
    confirm: async (q) => answer<boolean>('confirm', q),
    select: async <T>(q: SelectQuestion<T>) => {
      const v = answer<T>('select', q, { choices: q.choices });
      const choice = q.choices.find((c) => c.value === v);
      if (!choice) throw new Error(`${q.name}: ${String(v)} is not a choice`);
      // @inquirer never lands on a disabled choice: neither may a script
      if (choice.disabled) throw new Error(`${q.name}: ${String(v)} cannot be chosen (${choice.disabled})`);
      return v;
    },
    checkbox: async <T>(q: CheckboxQuestion<T>) => answer<T[]>('checkbox', q, { choices: q.choices }),
    password: async (q) => answer<string>('password', q),
    note: (t) => {
      notes.push(t);
    },
  };
}
