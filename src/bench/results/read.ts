/**
 * Streaming reader of samples.jsonl. A run that was interrupted may leave a half-written last line;
 * that and any malformed line are counted and reported, never fatal.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { PHASES, type SampleRecord } from '../samples.js';

const KINDS = new Set(['participant', 'bridge', 'event']);

export interface ReadStats {
  /** records accepted */
  records: number;
  /** lines that were not valid JSON or not a sample record (the truncated last line excluded) */
  badLines: number;
  /** first few bad lines, by line number, for the report */
  badExamples: { line: number; reason: string }[];
  /** the file ended in a line without newline that did not parse: an interrupted write */
  truncatedLastLine: boolean;
}

/** Why a parsed value is not a record we can use, or null when it is one. */
export function recordProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  if (typeof r.kind !== 'string' || !KINDS.has(r.kind)) return `unknown kind ${JSON.stringify(r.kind)}`;
  if (typeof r.t !== 'number' || !Number.isFinite(r.t)) return 'missing timestamp t';
  if (typeof r.step !== 'number' || !Number.isInteger(r.step)) return 'missing step';
  if (typeof r.phase !== 'string' || !(PHASES as readonly string[]).includes(r.phase)) return `unknown phase ${JSON.stringify(r.phase)}`;
  if (typeof r.bridges !== 'number') return 'missing bridges';
  if (r.kind === 'participant') {
    if (typeof r.participant !== 'string') return 'participant sample without participant';
    if (typeof r.audio !== 'object' || r.audio === null || typeof r.video !== 'object' || r.video === null) {
      return 'participant sample without audio/video stats';
    }
  }
  if (r.kind === 'bridge' && typeof r.bridge !== 'string') return 'bridge sample without bridge';
  if (r.kind === 'event' && typeof r.event !== 'string') return 'event without event name';
  return null;
}

const MAX_EXAMPLES = 5;

/**
 * Yields every usable record of the file, in file order; `stats` fills in as it goes and is final
 * once the iteration ends. Throws only when the file cannot be opened.
 */
export function readSamples(file: string): { records: AsyncGenerator<SampleRecord>; stats: ReadStats } {
  const stats: ReadStats = { records: 0, badLines: 0, badExamples: [], truncatedLastLine: false };
  async function* records(): AsyncGenerator<SampleRecord> {
    const stream = createReadStream(file, { encoding: 'utf8' });
    // readline hides whether the last line had a newline: track the stream's last character
    let endsWithNewline = true;
    stream.on('data', (chunk) => {
      if (chunk.length > 0) endsWithNewline = String(chunk).endsWith('\n');
    });
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    let lineNo = 0;
    let pending: { lineNo: number; text: string } | undefined;
    const judge = (p: { lineNo: number; text: string }, last: boolean): SampleRecord | undefined => {
      const text = p.text.trim();
      if (text === '') return undefined;
      let value: unknown;
      let problem: string | null;
      try {
        value = JSON.parse(text);
        problem = recordProblem(value);
      } catch {
        problem = 'not valid JSON';
      }
      if (problem === null) {
        stats.records++;
        return value as SampleRecord;
      }
      if (last && !endsWithNewline && problem === 'not valid JSON') {
        stats.truncatedLastLine = true;
        return undefined;
      }
      stats.badLines++;
      if (stats.badExamples.length < MAX_EXAMPLES) stats.badExamples.push({ line: p.lineNo, reason: problem });
      return undefined;
    };
    try {
      // one line of look-ahead, so the last line is known to be last when it is judged
      for await (const text of lines) {
        lineNo++;
        if (pending) {
          const rec = judge(pending, false);
          if (rec) yield rec;
        }
        pending = { lineNo, text };
      }
      if (pending) {
        const rec = judge(pending, true);
        if (rec) yield rec;
      }
    } finally {
      lines.close();
      stream.destroy();
    }
  }
  return { records: records(), stats };
}
