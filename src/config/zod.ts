/**
 * The parts of zod the CLI uses, from its mini API with English messages: the same checks, messages and
 * JSON Schema as the classic API, but a schema node carries no methods, so building the Config schema
 * costs a fraction (startup benchmark, issue 11). Named one by one so the bundle keeps only these,
 * even where a command imports this module dynamically.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// zod/mini sets no locale (its issues would read "Invalid input"); classic zod sets English itself
config(en());

export {
  _default,
  array,
  boolean,
  coerce,
  email,
  enum,
  extend,
  globalRegistry,
  gt,
  int,
  ipv4,
  ipv6,
  literal,
  lt,
  maxLength,
  maximum,
  NEVER,
  nullable,
  nonnegative,
  minLength,
  minimum,
  number,
  object,
  pipe,
  optional,
  positive,
  prefault,
  record,
  refine,
  regex,
  strictObject,
  string,
  superRefine,
  transform,
  union,
  url,
} from 'zod/mini';
export type { core, infer, input, output, ZodMiniType } from 'zod/mini';
