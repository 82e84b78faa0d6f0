/** Questions about video quality: resolution, simulcast, codecs, bitrates, SSRC rewriting, last-N. */
import { CODECS, type Codec } from '../config/schema.js';
import type { Prompter } from './prompter.js';

export type Resolution = 180 | 360 | 480 | 540 | 720 | 1080;
export type Layer = 'low' | 'standard' | 'high';

/** Jitsi's own defaults (lib-jitsi-meet STANDARD_VIDEO_BITRATES), bits/s: what an absent value means. */
export const JITSI_BITRATES: Record<Codec, Record<Layer, number>> = {
  VP8: { low: 200_000, standard: 500_000, high: 1_500_000 },
  VP9: { low: 100_000, standard: 300_000, high: 1_200_000 },
  H264: { low: 200_000, standard: 500_000, high: 1_500_000 },
  AV1: { low: 100_000, standard: 300_000, high: 1_000_000 },
};

const LAYER_HEIGHT: Record<Layer, string> = { low: '180p', standard: '360p', high: '720p' };

export async function askResolution(p: Prompter, current: Resolution): Promise<Resolution> {
  p.note('Resolution: the highest camera height sent. More pixels = more bandwidth and bridge CPU per participant.');
  const options: { value: Resolution; name: string }[] = [
    { value: 180, name: '180p' },
    { value: 360, name: '360p' },
    { value: 480, name: '480p' },
    { value: 540, name: '540p' },
    { value: 720, name: '720p (Jitsi default)' },
    { value: 1080, name: '1080p' },
  ];
  return p.select({ name: 'resolution', message: 'Highest resolution', choices: options, default: current });
}

export async function askSimulcast(p: Prompter, current: boolean): Promise<boolean> {
  p.note('Simulcast: senders send 3 qualities and the bridge picks one per receiver — keeps large meetings smooth.');
  return p.confirm({ name: 'simulcast', message: 'Simulcast?', default: current });
}

export async function askCodecs(p: Prompter, current: Codec[]): Promise<Codec[]> {
  p.note('Codecs: VP9 saves bandwidth, VP8 is the safest fallback, H264 helps Safari / hardware encoders, AV1 is newest (most CPU).');
  const chosen = await p.checkbox({
    name: 'codecs',
    message: 'Enabled codecs',
    choices: CODECS.map((c) => ({ value: c, name: c, checked: current.includes(c) })),
    validate: (v) => (v.length > 0 ? true : 'pick at least one codec'),
  });
  if (chosen.length === 1) return chosen;
  const preferred = await p.select({
    name: 'preferredCodec',
    message: 'Preferred codec',
    choices: chosen.map((c) => ({ value: c, name: c })),
    default: chosen.includes(current[0]!) ? current[0] : chosen[0],
  });
  // preferred first, the rest in their previous order
  const rest = [...current.filter((c) => c !== preferred && chosen.includes(c)), ...chosen.filter((c) => c !== preferred && !current.includes(c))];
  return [preferred, ...rest];
}

export async function askBitrate(p: Prompter, codec: Codec, layer: Layer, current: number): Promise<number> {
  if (layer === 'low') p.note(`Bitrates of ${codec} per simulcast layer, bits/s (Jitsi defaults: ${fmtLayers(JITSI_BITRATES[codec])}).`);
  return p.number({
    name: `bitrate.${layer}`,
    message: `${codec} ${layer} (${LAYER_HEIGHT[layer]}), bits/s`,
    default: current,
    min: 1,
  });
}

function fmtLayers(l: Record<Layer, number>): string {
  return (['low', 'standard', 'high'] as const).map((k) => `${k} ${l[k]}`).join(', ');
}

export async function askSsrcRewriting(p: Prompter, current: boolean): Promise<boolean> {
  p.note('SSRC rewriting: the bridge reuses a fixed set of stream ids, so joining a large meeting needs far fewer renegotiations.');
  return p.confirm({ name: 'ssrcRewriting', message: 'SSRC rewriting?', default: current });
}

export async function askLastN(p: Prompter, current: number): Promise<number> {
  p.note('Last-N: each participant receives video of only the N most recent speakers (-1 = everyone). Caps bridge load in big meetings.');
  return p.number({ name: 'lastN', message: 'Last-N', default: current, min: -1 });
}
