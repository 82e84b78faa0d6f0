/**
 * zod's mini API with English messages: the same checks and messages as the classic API, but a schema
 * node carries no methods, so building the Config schema costs a fraction (startup benchmark, issue 11).
 */
import { z } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// zod/mini sets no locale (its issues would read "Invalid input"); classic zod sets English itself
z.config(en());

/** Registers a field's description in place (mini has no `.describe()`; the JSON Schema reads it). */
export function described<T extends z.ZodMiniType>(schema: T, description: string): T {
  z.globalRegistry.add(schema, { description });
  return schema;
}

export { z };
