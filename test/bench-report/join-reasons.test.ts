/** Named join outcomes and per-role frame rates in the summary, the terminal table and the HTML report (synthetic records). */
import { describe, expect, it } from 'vitest';
import { formatTerminalSummary } from '../../src/bench/results/terminal.js';
import { summarize } from '../../src/bench/results/summarize.js';
import { renderReport } from '../../src/bench/results/report.js';
import { buildSeries } from '../../src/bench/results/series.js';
import { event, media, part } from './records.js';

const records = [
  event('join-failed', { participant: 'bench-4', reason: 'password-required', detail: 'the room password was refused (conference.passwordRequired)' }),
  event('join-failed', { participant: 'bench-5', reason: 'password-required', detail: 'the room password was refused (conference.passwordRequired)' }),
  event('join-failed', { participant: 'bench-6', reason: 'room-full', detail: 'the room has its maximum number of participants (conference.max_users)' }),
  event('join-failed', { participant: 'bench-7', detail: 'an old run without reasons' }),
  event('left', { participant: 'bench-3', reason: 'removed', detail: 'a moderator removed it from the room (conference.kicked)' }),
  event('left', { participant: 'bench-2' }),
  part({ participant: 'bench-1', role: 'sender', framesSentPerSecond: 15, video: media(100, 0) }),
  part({ participant: 'bench-2', framesPerSecond: 14, videoHeightIn: 720, video: media(100, 0) }),
  part({ participant: 'bench-2', framesPerSecond: 12, videoHeightIn: 360, video: media(100, 0) }),
  part({ participant: 'bench-2', framesPerSecond: 13, videoHeightIn: 720, video: media(100, 0) }),
  // a lite receiver: recorded before lite samples dropped their decode rate, it must not pull the mean down
  part({ participant: 'bench-3', lite: true, framesPerSecond: 0, video: media(100, 0) }),
];

describe('join reasons and receivers in the results', () => {
  const summary = summarize(records, { target: 'jitsi', participants: 7, viewport: { width: 1280, height: 720 } });

  it('counts failures by named reason, most frequent first; a left with a reason too', () => {
    expect(summary.run.reasons.map((r) => [r.event, r.reason, r.count])).toEqual([
      ['join-failed', 'password-required', 2],
      ['join-failed', 'unknown', 1],
      ['left', 'removed', 1],
      ['join-failed', 'room-full', 1],
    ]);
    expect(summary.run.reasons[0]).toMatchObject({ label: 'password required', example: expect.stringContaining('refused') });
    expect(summary.run.failures.map((f) => f.reason)).toEqual(['password-required', 'password-required', 'room-full', null]);
  });

  it('frame rates per role: lite receivers are not averaged into decode fps; the received height per receiver', () => {
    expect(summary.overall.clients.framesPerSecondMean).toBe(13);
    expect(summary.overall.clients.byRole.receiver).toMatchObject({ framesPerSecondMean: 13, liteParticipants: 1 });
    expect(summary.overall.clients.byRole.sender.framesPerSecondMean).toBe(15);
    expect(summary.receivers).toEqual([
      { participant: 'bench-2', room: 'r1', lite: false, samples: 3, videoHeightIn: 720, videoHeightsIn: [360, 720], framesPerSecondMean: 13 },
      { participant: 'bench-3', room: 'r1', lite: true, samples: 1, videoHeightIn: null, videoHeightsIn: [], framesPerSecondMean: null },
    ]);
  });

  it('the terminal table and the HTML report name them', () => {
    const text = formatTerminalSummary(summary);
    expect(text).toContain('join failed: 2 × password required — the room password was refused (conference.passwordRequired)');
    expect(text).toContain('left early: 1 × removed from the room');
    expect(text).toMatch(/receivers: 1 decoding at 13(\.0)? fps, 1 lite \(decode nothing by design\); received video height 720p × 1/);
    const html = renderReport(summary, buildSeries(records, summary), '<html><body>{{body}}</body></html>');
    expect(html).toContain('Why participants did not join');
    expect(html).toContain('data-reason="room-full"');
    expect(html).toContain('the room has its maximum number of participants');
    expect(html).toContain('Receivers: received video layer and decode rate');
    expect(html).toMatch(/bench-2<\/td>.*720p/);
    expect(html).toMatch(/page size<\/dt><dd>1280x720/);
  });
});
