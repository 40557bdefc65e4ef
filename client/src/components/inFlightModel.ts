/**
 * Where the in-flight view draws a lane's packets, computed without the DOM: how far along the
 * wire each one is at the cursor, and which of the two tracks it rides on so that no two labels
 * overlap (a packet that finds no room shows its size only, or is left out).
 */

/**
 * How far along the wire (0 to 1) a packet sent at `sent` is at `cursor`, crossing in `travel`
 * ms. Once the run is over (`over`: it ended, and the cursor is at its end) everything has arrived.
 */
export function packetProgress(sent: number, cursor: number, travel: number, over = false): number {
  if (over) return 1;
  return Math.min(1, Math.max(0, (cursor - sent) / travel));
}

export interface PacketIn {
  key: number;
  /** The left edge's place along the track, 0 (server end) to 1 (browser end). */
  at: number;
  /** The whole label, and a shorter one for when it does not fit. */
  label: string;
  short: string;
}

export interface PacketOut {
  key: number;
  at: number;
  text: string;
  track: 0 | 1;
}

export interface TrackMetrics {
  /** px across the track. */
  width: number;
  /** px of one character of the packets' (monospace) font. */
  charWidth: number;
  /** px a packet adds around its text (padding and border). */
  pad: number;
  /** px kept free between two packets on one track. */
  gap: number;
}

/**
 * Places packets, oldest first (they are furthest along and were placed before the newer ones
 * existed), each on its preferred track (`key % 2`, so neighbours alternate) or else the other
 * one; a packet whose whole label fits on neither (or is wider than the track, on a narrow
 * screen) tries its short label, and is left out if that does not fit either. A packet's left
 * edge is at `at × (width − its width)`, as the CSS draws it.
 */
export function placePackets(packets: readonly PacketIn[], m: TrackMetrics): PacketOut[] {
  const taken: [number, number][][] = [[], []];
  const placed: PacketOut[] = [];
  for (const p of [...packets].sort((a, b) => a.key - b.key)) {
    const preferred = (p.key % 2) as 0 | 1;
    const tracks = [preferred, (1 - preferred) as 0 | 1];
    let done = false;
    for (const text of p.short === p.label ? [p.label] : [p.label, p.short]) {
      const w = m.pad + text.length * m.charWidth;
      if (w > m.width) continue;
      const x = p.at * (m.width - w);
      for (const track of tracks) {
        if (taken[track]!.some(([a, b]) => x < b + m.gap && a < x + w + m.gap)) continue;
        taken[track]!.push([x, x + w]);
        placed.push({ key: p.key, at: p.at, text, track });
        done = true;
        break;
      }
      if (done) break;
    }
  }
  return placed;
}
