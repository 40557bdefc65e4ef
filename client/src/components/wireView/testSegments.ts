/** Test helpers (imported only by `*.test.ts`): small hand-built lane segments. */
import type { LaneSegment } from '../../run/Run.svelte.ts';
import type { SegmentKind } from '../../wire/types.ts';
import { bytes } from '../../wire/testKit.ts';

/** A whole element of `kind` carrying `content`, on connection 1, going down, at t = 0. */
export function seg(kind: SegmentKind, content: string | Uint8Array, extra: Partial<LaneSegment> = {}): LaneSegment {
  const b = bytes(content);
  return {
    dir: 'down',
    offset: 0,
    length: b.length,
    t: 0,
    event: 0,
    layer: 'http',
    kind,
    label: kind,
    explain: '',
    element: 0,
    part: 'whole',
    conn: 1,
    bytes: b,
    ...extra,
  };
}
