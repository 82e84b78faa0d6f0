/**
 * The one place that talks to @inquirer. The wizard asks through the small `Prompter` interface,
 * so tests can drive it with scripted answers; the real one renders on stderr (stdout is data)
 * and maps Ctrl-C / Esc / an aborted prompt to InterruptedError (exit 130).
 */
import { checkbox, confirm, input, number, password, select } from '@inquirer/prompts';
import { InterruptedError } from '../errors.js';
import { interruptSignal } from '../interrupt.js';

export interface Choice<T> {
  value: T;
  name: string;
  /** shown under the list while the choice is highlighted */
  description?: string;
  /** why it cannot be chosen: shown beside it, and the cursor skips it */
  disabled?: string;
}

interface Question {
  /** stable id of the question (tests answer by it) */
  name: string;
  message: string;
}

export interface InputQuestion extends Question {
  default?: string;
  /** true, or the reason the answer is not valid (shown inline) */
  validate?: (value: string) => true | string;
}

export interface NumberQuestion extends Question {
  default?: number;
  min?: number;
  max?: number;
  /** whole numbers only (default true) */
  integer?: boolean;
}

export interface ConfirmQuestion extends Question {
  default?: boolean;
}

export interface SelectQuestion<T> extends Question {
  choices: Choice<T>[];
  default?: T;
}

export interface CheckboxQuestion<T> extends Question {
  choices: (Choice<T> & { checked?: boolean })[];
  /** true, or the reason the selection is not valid */
  validate?: (values: T[]) => true | string;
}

export interface PasswordQuestion extends Question {
  validate?: (value: string) => true | string;
}

export interface Prompter {
  input(q: InputQuestion): Promise<string>;
  number(q: NumberQuestion): Promise<number>;
  confirm(q: ConfirmQuestion): Promise<boolean>;
  select<T>(q: SelectQuestion<T>): Promise<T>;
  checkbox<T>(q: CheckboxQuestion<T>): Promise<T[]>;
  /** masked input for secrets; the answer is never echoed or logged */
  password(q: PasswordQuestion): Promise<string>;
  /** a line of explanation before a question (stderr) */
  note(text: string): void;
}

/** Ctrl-C (ExitPromptError), Esc or Ctrl-C elsewhere (AbortPromptError) → InterruptedError; anything else unchanged. */
export function promptError(err: unknown): unknown {
  const name = (err as { name?: string } | undefined)?.name;
  if (name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'CancelPromptError') {
    return new InterruptedError('cancelled at a prompt; nothing was written');
  }
  return err;
}

// ---------- translation to @inquirer configs (exported for @inquirer/testing) ----------

export const inquirerConfig = {
  input: (q: InputQuestion) => ({
    message: q.message,
    default: q.default,
    validate: q.validate ? (v: string) => q.validate!(v.trim()) : undefined,
  }),
  number: (q: NumberQuestion) => ({
    message: q.message,
    default: q.default,
    min: q.min,
    max: q.max,
    step: q.integer === false ? ('any' as const) : 1,
    required: true as const,
  }),
  confirm: (q: ConfirmQuestion) => ({ message: q.message, default: q.default }),
  select: <T>(q: SelectQuestion<T>) => ({
    message: q.message,
    choices: q.choices.map((c) => ({ value: c.value, name: c.name, description: c.description, ...(c.disabled ? { disabled: `(${c.disabled})` } : {}) })),
    default: q.default,
    pageSize: 10,
  }),
  checkbox: <T>(q: CheckboxQuestion<T>) => ({
    message: q.message,
    choices: q.choices.map((c) => ({ value: c.value, name: c.name, description: c.description, checked: c.checked })),
    validate: q.validate ? (items: readonly { value: T }[]) => q.validate!(items.map((i) => i.value)) : undefined,
  }),
  password: (q: PasswordQuestion) => ({ message: q.message, mask: '*', validate: q.validate }),
};

export interface PromptStreams {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** how explanations look (e.g. dim when colours are on) */
  noteStyle?: (text: string) => string;
}

/** The real prompter: @inquirer prompts on the terminal, rendered on stderr. */
export function inquirerPrompter(streams: PromptStreams = {}): Prompter {
  const context = { input: streams.input ?? process.stdin, output: streams.output ?? process.stderr };
  const ask = async <T>(run: (ctx: typeof context & { signal: AbortSignal }) => Promise<T>): Promise<T> => {
    const controller = new AbortController();
    const onKey = (_s: unknown, key?: { name?: string }) => {
      if (key?.name === 'escape') controller.abort();
    };
    const onInterrupt = () => controller.abort();
    // readline emits 'keypress' on the input stream while a prompt is open
    context.input.on('keypress', onKey);
    // Ctrl-C before the prompt opened (e.g. while reading the cluster) cancels it at once
    if (interruptSignal().aborted) controller.abort();
    interruptSignal().addEventListener('abort', onInterrupt);
    try {
      return await run({ ...context, signal: controller.signal });
    } catch (err) {
      throw promptError(err);
    } finally {
      context.input.removeListener('keypress', onKey);
      interruptSignal().removeEventListener('abort', onInterrupt);
    }
  };
  return {
    input: (q) => ask((ctx) => input(inquirerConfig.input(q), ctx)).then((v) => v.trim()),
    number: (q) =>
      ask((ctx) => number(inquirerConfig.number(q), ctx)).then((v) => {
        if (v === undefined) throw new Error(`no number for ${q.name}`); // required: true never yields undefined
        return v;
      }),
    confirm: (q) => ask((ctx) => confirm(inquirerConfig.confirm(q), ctx)),
    select: <T>(q: SelectQuestion<T>) => ask((ctx) => select(inquirerConfig.select(q), ctx)),
    checkbox: <T>(q: CheckboxQuestion<T>) => ask((ctx) => checkbox(inquirerConfig.checkbox(q), ctx)),
    password: (q) => ask((ctx) => password(inquirerConfig.password(q), ctx)),
    note: (text) => {
      context.output.write(`${streams.noteStyle ? streams.noteStyle(text) : text}\n`);
    },
  };
}
