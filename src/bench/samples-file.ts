/** samples.jsonl: appended as measured, one write per batch, so an interrupted run keeps everything up to its last tick. */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../config/file.js';
import { CommandError } from '../errors.js';
import type { SampleRecord } from './samples.js';

export const SAMPLES_FILE = 'samples.jsonl';
export const SCENARIO_FILE = 'scenario.json';

export interface SamplesWriter {
  readonly path: string;
  readonly count: number;
  append(records: SampleRecord[]): void;
}

export function openSamples(outDir: string): SamplesWriter {
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new CommandError(`cannot create ${outDir}: ${(e as Error).message}`, 'pass --out with a writable folder');
  }
  const path = join(outDir, SAMPLES_FILE);
  writeFileSync(path, '');
  let count = 0;
  return {
    path,
    get count() {
      return count;
    },
    append(records) {
      if (records.length === 0) return;
      appendFileSync(path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
      count += records.length;
    },
  };
}

export function writeScenarioFile(outDir: string, content: object): string {
  const path = join(outDir, SCENARIO_FILE);
  writeFileAtomic(path, `${JSON.stringify(content, null, 2)}\n`);
  return path;
}

/** The records of one step, read back from samples.jsonl (a find-capacity step judges what it wrote). */
export function readStepRecords(path: string, step: number): SampleRecord[] {
  const records: SampleRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.includes(`"step":${step},`)) continue;
    try {
      const r = JSON.parse(line) as SampleRecord;
      if (r.step === step) records.push(r);
    } catch {
      // a torn last line of an interrupted write: the reader of the report skips it too
    }
  }
  return records;
}
