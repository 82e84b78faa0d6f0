/** The sample record types (and join-failure reasons) live in src/records.ts, shared by bench/ and cluster/ (status, JVB sampler). */
export * from '../records.js';
