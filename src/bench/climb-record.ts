/**
 * What a find-capacity climb records (capacity-search.json, summary.json's `capacity`) and how its
 * knee reads in words: shared by the climb (find-capacity.ts) and the results, which must not import it.
 */
export const CAPACITY_SEARCH_FILE = 'capacity-search.json';

/** The rooms every step is made of: the scenario's shape, repeated. */
export interface RoomShape {
  roomSize: number;
  senders: number;
  audioSenders: number;
  /** lite receivers per room; null: every receiver */
  liteReceivers: number | null;
  /** senders' camera, "640x360@15" */
  video: string;
}

export interface ClimbLoad {
  step: number;
  bridges: number;
  rooms: number;
  participants: number;
}

export interface ClimbStep extends ClimbLoad {
  held: boolean;
  /** the thresholds that broke, with what was measured */
  broke: string[];
  stressMax: number | null;
  /** worst of audio and video pooled receive loss, steady phase, % */
  lossPct: number | null;
  notJoined: number;
  bridgeCpuCores: number | null;
  generatorCpuCores: number | null;
}

/** The largest load that held at one bridge count. */
export interface Knee {
  bridges: number;
  /** null: even one room broke */
  participants: number | null;
  conferences: number | null;
  perBridge: number | null;
  /** null when the bridges' cores are not known (the look-alike bridges have none) */
  perBridgeCore: number | null;
  /** the next load tried, which broke; null when the search ran out of room before anything broke */
  brokeAt: { participants: number; broke: string[] } | null;
}

export type ClimbOutcome = 'knee' | 'no-knee' | 'generator-limit' | 'interrupted';

export interface CapacitySearch {
  schema: 'jitsi-k8s/capacity-search@1';
  thresholds: string[];
  defaults: boolean;
  shape: RoomShape;
  /** cores of one bridge, when known (a deployment's JVB request), else null */
  bridgeCores: number | null;
  maxRooms: number;
  steps: ClimbStep[];
  knees: Knee[];
  outcome: ClimbOutcome;
  /** why the load generator stopped the search */
  generatorLimit?: string;
}

/** "2 bridges: 8 participants held (4 conferences, 4 per bridge); 10 broke: bridge.stress.max<=0.8: measured 1" */
export function describeKnee(k: Knee, shape: RoomShape, stoppedByGenerator = false): string {
  const b = `${k.bridges} bridge${k.bridges === 1 ? '' : 's'}`;
  if (k.participants === null) return `${b}: even one room of ${shape.roomSize} broke (${k.brokeAt?.broke.join('; ') ?? 'nothing measured'})`;
  const perCore = k.perBridgeCore === null ? '' : `, ${k.perBridgeCore} per bridge core`;
  const next = k.brokeAt
    ? `; ${k.brokeAt.participants} broke: ${k.brokeAt.broke.join('; ')}`
    : stoppedByGenerator
      ? '; nothing broke before the load generator stopped the climb'
      : '; nothing broke up to the ceiling of the search';
  return `${b}: ${k.participants} participants held (${k.conferences} conference${k.conferences === 1 ? '' : 's'}, ${k.perBridge} per bridge${perCore})${next}`;
}

/** "rooms of 5, 5 senders, 640x360@15" */
export function describeRoomShape(shape: RoomShape): string {
  const audio = shape.audioSenders !== shape.senders ? `, ${shape.audioSenders} sending audio` : '';
  const lite = shape.liteReceivers === 0 ? ', receivers decode video' : '';
  return `rooms of ${shape.roomSize}, ${shape.senders} video sender${shape.senders === 1 ? '' : 's'}${audio}${lite}, ${shape.video}`;
}

export const GENERATOR_LIMIT = 'the load generator, not the bridges, is the limit';

