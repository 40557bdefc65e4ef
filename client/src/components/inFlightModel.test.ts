import { describe, expect, test } from 'vitest';
import { packetProgress, placePackets, type PacketIn, type PacketOut, type TrackMetrics } from './inFlightModel.ts';

describe('packetProgress', () => {
  test.each([
    // sent, cursor, travel, over, progress
    [100, 50, 200, false, 0],
    [100, 100, 200, false, 0],
    [100, 200, 200, false, 0.5],
    [100, 300, 200, false, 1],
    [100, 900, 200, false, 1],
    // A run that ended 20 ms after this packet left: at its end the packet has arrived…
    [100, 120, 200, true, 1],
  ])('sent at %d, cursor %d, %d ms to cross, over: %s → %d', (sent, cursor, travel, over, progress) => {
    expect(packetProgress(sent, cursor, travel, over)).toBe(progress);
  });

  test('follows the cursor: scrubbed back into the run, the same packet is half-way again', () => {
    expect(packetProgress(100, 200, 200, true)).toBe(1);
    expect(packetProgress(100, 200, 200, false)).toBe(0.5);
  });
});

const metrics: TrackMetrics = { width: 600, charWidth: 8, pad: 20, gap: 6 };
const width = (text: string) => metrics.pad + text.length * metrics.charWidth;

/** Each placed packet's [left, right] px on its track. */
function spans(packets: readonly PacketIn[], placed: readonly PacketOut[]): { track: number; a: number; b: number }[] {
  return placed.map((p) => {
    const w = width(p.text);
    const x = packets.find((q) => q.key === p.key)!.at * (metrics.width - w);
    return { track: p.track, a: x, b: x + w };
  });
}

function overlaps(s: { track: number; a: number; b: number }[]): boolean {
  return s.some((p, i) => s.some((q, j) => i < j && p.track === q.track && p.a < q.b && q.a < p.b));
}

const packet = (key: number, at: number): PacketIn => ({ key, at, label: `57 B  "33\\r\\nid: …" →`, short: '57 B →' });

describe('placePackets', () => {
  test('packets far apart alternate tracks and keep their whole labels', () => {
    const packets = [packet(0, 0.9), packet(1, 0.5), packet(2, 0.1)];
    expect(placePackets(packets, metrics)).toEqual([
      { key: 0, at: 0.9, text: packets[0]!.label, track: 0 },
      { key: 1, at: 0.5, text: packets[1]!.label, track: 1 },
      { key: 2, at: 0.1, text: packets[2]!.label, track: 0 },
    ]);
  });

  test('a packet that would overlap its track takes the other one', () => {
    const placed = placePackets([packet(0, 0.5), packet(2, 0.52)], metrics);
    expect(placed.map((p) => p.track)).toEqual([0, 1]);
  });

  test('when neither track has room for the whole label, the packet shows its size only, or nothing', () => {
    const packets = [packet(0, 0.5), packet(1, 0.5), packet(2, 0.2), packet(3, 0.49)];
    const placed = placePackets(packets, metrics);
    expect(placed.find((p) => p.key === 2)?.text).toBe('57 B →');
    expect(placed.find((p) => p.key === 3)).toBeUndefined();
  });

  test('on a track narrower than a whole label (a phone), packets show their size only', () => {
    const placed = placePackets([packet(0, 0.6), packet(1, 0.2)], { ...metrics, width: 130 });
    expect(placed.map((p) => p.text)).toEqual(['57 B →', '57 B →']);
  });

  test('a busy wire (100 writes a second) never draws two labels over one another', () => {
    for (const trackWidth of [300, 600, 1000]) {
      for (let cursor = 0; cursor < 400; cursor += 7) {
        const packets: PacketIn[] = [];
        for (let key = 0; key < 40; key++) {
          const at = packetProgress(key * 10, cursor, 200);
          if (key * 10 <= cursor && at < 1) packets.push(packet(key, at));
        }
        const m = { ...metrics, width: trackWidth };
        const placed = placePackets(packets, m);
        const s = placed.map((p) => {
          const w = m.pad + p.text.length * m.charWidth;
          const x = p.at * (m.width - w);
          return { track: p.track, a: x, b: x + w };
        });
        expect(overlaps(s)).toBe(false);
      }
    }
  });

  test('the packets of the screenshot that overlapped (four on two tracks, 20 ms apart) do not', () => {
    const packets = [packet(10, 0.8), packet(11, 0.7), packet(12, 0.6), packet(13, 0.5)];
    expect(overlaps(spans(packets, placePackets(packets, metrics)))).toBe(false);
  });
});
