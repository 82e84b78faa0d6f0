/**
 * Which bridge a participant landed on: the remote side of its selected candidate pair is the
 * address the bridge advertised. Behind one Service every bridge has its own port; with hostPort
 * every bridge has its node's address. (Chrome hides the address of a peer-reflexive remote
 * candidate; the bridge's are signalled host/srflx candidates, so they show.)
 */
import type { BridgeSample, SampleRecord } from './samples.js';

export class BridgePlacement {
  private byAddress = new Map<string, string>();

  /** Learns the bridges' addresses from bridge samples. */
  learn(records: SampleRecord[]): void {
    for (const r of records) {
      if (r.kind !== 'bridge') continue;
      for (const a of (r as BridgeSample).addresses ?? []) this.byAddress.set(normalise(a), r.bridge);
    }
  }

  bridgeFor(remote: string | undefined): string | undefined {
    return remote ? this.byAddress.get(normalise(remote)) : undefined;
  }

  /** Sets `bridge` on participant samples whose remote address is a known bridge. */
  place(records: SampleRecord[]): SampleRecord[] {
    this.learn(records);
    if (this.byAddress.size === 0) return records;
    return records.map((r) => {
      if (r.kind !== 'participant' || r.bridge) return r;
      const bridge = this.bridgeFor(r.transport?.remote);
      return bridge ? { ...r, bridge } : r;
    });
  }
}

/** "[::1]:10000" and "::1:10000" alike; lower-case. */
function normalise(address: string): string {
  return address.trim().toLowerCase().replace(/^\[(.*)\]:(\d+)$/, '$1:$2');
}
