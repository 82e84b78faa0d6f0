/** Reading samples.jsonl (bad and cut-off lines), writeResults' files and its errors. SYNTHETIC runs. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandError } from '../../src/errors.js';
import { readSamples } from '../../src/bench/results/read.js';
import { writeResults } from '../../src/bench/results/index.js';
import { event, media, part } from './records.js';
import { writeSyntheticRun } from './synthetic.js';

const work = mkdtempSync(join(tmpdir(), 'bench-files-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function readAll(file: string) {
  const { records, stats } = readSamples(file);
  const out = [];
  for await (const r of records) out.push(r);
  return { out, stats };
}

function writeLines(name: string, text: string): string {
  const file = join(work, name);
  writeFileSync(file, text);
  return file;
}

describe('readSamples', () => {
  const good = [part({ participant: 'a', audio: media(10, 0) }), event('joined', { participant: 'a' })].map((r) => JSON.stringify(r));

  it('skips a cut-off last line from an interrupted run and says so', async () => {
    const file = writeLines('cut.jsonl', `${good.join('\n')}\n{"kind":"participant","t":17000,"st`);
    const { out, stats } = await readAll(file);
    expect(out.map((r) => r.kind)).toEqual(['participant', 'event']);
    expect(stats).toMatchObject({ records: 2, badLines: 0, truncatedLastLine: true });
  });

  it('counts malformed lines in the middle without stopping', async () => {
    const file = writeLines(
      'bad.jsonl',
      [good[0], '{oops', '', JSON.stringify({ kind: 'weather', t: 1, step: 0, bridges: 1, phase: 'steady' }), '[1,2]', good[1]].join('\n') + '\n',
    );
    const { out, stats } = await readAll(file);
    expect(out).toHaveLength(2);
    expect(stats.badLines).toBe(3);
    expect(stats.truncatedLastLine).toBe(false);
    expect(stats.badExamples).toEqual([
      { line: 2, reason: 'not valid JSON' },
      { line: 4, reason: 'unknown kind "weather"' },
      { line: 5, reason: 'not a JSON object' },
    ]);
  });

  it('accepts a complete last line without newline, and CRLF endings', async () => {
    const { out, stats } = await readAll(writeLines('nonl.jsonl', good.join('\r\n')));
    expect(out).toHaveLength(2);
    expect(stats).toMatchObject({ records: 2, badLines: 0, truncatedLastLine: false });
  });

  it('rejects records that lack what the summary keys on', async () => {
    const noPhase = JSON.stringify({ ...part({ participant: 'a' }), phase: 'lunch' });
    const noAudio = JSON.stringify({ ...part({ participant: 'a' }), audio: undefined });
    const { out, stats } = await readAll(writeLines('shape.jsonl', `${noPhase}\n${noAudio}\n`));
    expect(out).toHaveLength(0);
    expect(stats.badExamples.map((e) => e.reason)).toEqual(['unknown phase "lunch"', 'participant sample without audio/video stats']);
  });
});

describe('writeResults', () => {
  it('writes summary.json, the CSVs and report.html next to the samples', async () => {
    const dir = writeSyntheticRun(join(work, 'run'), { bridgeCounts: [1, 2] }, '{"kind":"bridge","t":99');
    const { summary, files } = await writeResults(dir);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['summary.json', 'clients.csv', 'bridges.csv', 'placement.csv', 'report.html']);
    const onDisk = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(summary)));
    expect(summary.input).toMatchObject({ badLines: 0, truncatedLastLine: true, file: join(dir, 'samples.jsonl') });
    expect(summary.scenario).toMatchObject({ participants: 6, rooms: 3, durationS: 60, replicas: [1, 2] });
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('the last line was cut off mid-write and was skipped');
  });

  it('reports without scenario.json, with a note', async () => {
    const dir = join(work, 'no-scenario');
    mkdirSync(dir);
    writeFileSync(join(dir, 'samples.jsonl'), `${JSON.stringify(part({ participant: 'a', audio: media(99, 1) }))}\n`);
    const { summary } = await writeResults(dir);
    expect(summary.notes).toContain('scenario.json is missing: the report shows no scenario details');
    expect(summary.overall.clients.audio.pooledLossPct).toBe(1);
  });

  const fails = async (dir: string) => {
    const err = await writeResults(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CommandError);
    return err as CommandError;
  };

  it('names the missing folder or file, with a hint', async () => {
    const missing = await fails(join(work, 'nowhere'));
    expect(missing.message).toBe(`no run folder at ${join(work, 'nowhere')}`);
    expect(missing.hint).toMatch(/jitsi-k8s bench --out/);
    const empty = join(work, 'empty-dir');
    mkdirSync(empty);
    const noSamples = await fails(empty);
    expect(noSamples.message).toBe(`${join(empty, 'samples.jsonl')} not found`);
    expect(noSamples.hint).toMatch(/samples\.jsonl/);
  });

  it('refuses an empty or unreadable samples.jsonl and a broken scenario.json', async () => {
    const dir = join(work, 'empty-samples');
    mkdirSync(dir);
    writeFileSync(join(dir, 'samples.jsonl'), '');
    expect((await fails(dir)).message).toBe(`${join(dir, 'samples.jsonl')} holds no sample records`);
    writeFileSync(join(dir, 'samples.jsonl'), 'garbage\n');
    expect((await fails(dir)).message).toContain('1 unreadable line(s), e.g. line 1: not valid JSON');
    writeFileSync(join(dir, 'samples.jsonl'), `${JSON.stringify(part({ participant: 'a' }))}\n`);
    writeFileSync(join(dir, 'scenario.json'), '{"participants": 4,');
    const broken = await fails(dir);
    expect(broken.message).toMatch(new RegExp(`^${join(dir, 'scenario.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid JSON`));
  });
});
