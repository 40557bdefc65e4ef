/**
 * Where the timeline's words go, computed without the DOM (widths come from a `measure`
 * function): the first byte / first token / done labels, the lane titles in the left margin,
 * and the axis's tick labels. Nothing is drawn over anything else: a label is moved to another
 * place or line, shortened, or left out (the timeline's caption still says it in words).
 */
import type { Run } from '../../run/Run.svelte.ts';
import { formatMs } from './format.ts';
import type { LaneIndex } from './LaneIndex.ts';

/** px width of a text: measured on a canvas in the page, estimated in tests. */
export type Measure = (text: string) => number;

/** An estimate for `size` px of the page's sans-serif font: a little wide, so that estimates err towards room. */
export const estimate =
  (size: number, bold = false): Measure =>
  (text) =>
    text.length * size * (bold ? 0.62 : 0.56);

/**
 * The timeline's text: sizes and lines of a lane's row, normal or `large` (presenter mode, at
 * least 20 px). Only the room for words changes; the marks keep their place in the row.
 */
export interface TimelineText {
  /** px of every word in the timeline. */
  size: number;
  /** A lane's row, px tall. */
  rowHeight: number;
  /** Baselines of the two label lines: above the writes, below the tokens. */
  labelY: readonly [number, number];
  /** px for the lane's title and figures, left of the plot. */
  marginLeft: number;
  /** px between the lines of the title and figures. */
  lineHeight: number;
}

export const timelineText = {
  normal: { size: 14, rowHeight: 80, labelY: [14, 76], marginLeft: 176, lineHeight: 18 },
  large: { size: 20, rowHeight: 100, labelY: [16, 83], marginLeft: 244, lineHeight: 24 },
} as const satisfies Record<string, TimelineText>;

export interface Marker {
  name: string;
  ms: number;
  /** px from the plot's left. */
  x: number;
}

export interface MarkerLabel {
  /** The marker's px. */
  x: number;
  text: string;
  /** Where the text is drawn: `at` px is its start (`start`) or its end (`end`). */
  anchor: 'start' | 'end';
  at: number;
  line: 0 | 1;
}

/** Which labels win the room when there is not enough: what the lessons ask the reader to compare first. */
const rank = (name: string): number => ['first token', 'done', 'first byte'].indexOf(name) + 1 || 4;

/** px between a marker and its label, and kept free between two labels. */
const pad = 4;
const gap = 6;

/**
 * Puts the first byte / first token / done labels on two lines (above the writes, below the
 * tokens) so that no two overlap and none leaves the plot (it may reach `overhang` px past its
 * right end). Markers a few pixels apart share one label. In order of importance (first token,
 * done, first byte), each label goes right of its marker, else left of it, else (where the plot
 * is narrow) as close to centred on it as the plot allows, on the upper line, else the lower;
 * a shared label with no room names its most important moment only, and a label with no room
 * left is not drawn.
 */
export function placeLabels(markers: readonly Marker[], plotWidth: number, measure: Measure = estimate(14), overhang = 16): MarkerLabel[] {
  const groups: { x: number; moments: Marker[] }[] = [];
  for (const m of [...markers].sort((a, b) => a.x - b.x)) {
    const last = groups.at(-1);
    if (last && m.x - last.x < 4) last.moments.push(m);
    else groups.push({ x: m.x, moments: [m] });
  }
  const best = (g: (typeof groups)[number]) => Math.min(...g.moments.map((m) => rank(m.name)));
  groups.sort((a, b) => best(a) - best(b) || a.x - b.x);
  const right = plotWidth + overhang;
  const taken: [number, number][][] = [[], []];
  const placed: MarkerLabel[] = [];
  for (const g of groups) {
    // One time for moments that round to the same, else each its own; a shared label that finds
    // no room names its most important moment only.
    const times = g.moments.map((m) => formatMs(m.ms));
    const shared = times.every((t) => t === times[0])
      ? `${g.moments.map((m) => m.name).join(' · ')} ${times[0]}`
      : g.moments.map((m, i) => `${m.name} ${times[i]}`).join(' · ');
    const main = [...g.moments].sort((a, b) => rank(a.name) - rank(b.name))[0]!;
    const texts = g.moments.length > 1 ? [shared, `${main.name} ${formatMs(main.ms)}`] : [shared];
    search: for (const text of texts) {
      const w = measure(text);
      const centred = Math.max(0, Math.min(right - w, g.x - w / 2));
      const candidates = [
        { anchor: 'start', at: g.x + pad, a: g.x + pad },
        { anchor: 'end', at: g.x - pad, a: g.x - pad - w },
        { anchor: 'start', at: centred, a: centred },
      ] as const;
      for (const line of [0, 1] as const) {
        for (const { anchor, at, a } of candidates) {
          const b = a + w;
          if (a < 0 || b > right) continue;
          if (taken[line]!.some(([c, d]) => a < d + gap && c < b + gap)) continue;
          taken[line]!.push([a, b]);
          placed.push({ x: g.x, text, anchor, at, line });
          break search;
        }
      }
    }
  }
  return placed.sort((a, b) => a.x - b.x);
}

/**
 * A lane's title in at most `lines` lines of at most `width` px, broken between words or after a
 * hyphen; what does not fit ends in an ellipsis.
 */
export function wrapTitle(title: string, width: number, measure: Measure, lines = 2): string[] {
  const out: string[] = [];
  let line = '';
  const words = title.match(/[^\s-]+-?|-/g) ?? [];
  const join = (a: string, b: string) => (!a ? b : a.endsWith('-') ? a + b : `${a} ${b}`);
  for (let i = 0; i < words.length; i++) {
    const next = join(line, words[i]!);
    if (measure(next) <= width || !line) {
      line = next;
      continue;
    }
    out.push(line);
    line = words[i]!;
    if (out.length === lines - 1) {
      line = words.slice(i).reduce(join, '');
      break;
    }
  }
  out.push(line);
  // Each line cut to fit (a single long word too).
  return out.map((text) => {
    if (measure(text) <= width) return text;
    while (text.length > 1 && measure(`${text}…`) > width) text = text.slice(0, -1).trimEnd();
    return `${text}…`;
  });
}

export interface Tick {
  v: number;
  x: number;
  label: string;
}

/**
 * The ticks whose labels are drawn: a label centred on its tick (the last one, near the plot's
 * right end, ends there) is left out when it would touch the one before it. Grid lines stay.
 */
export function tickLabels(ticks: readonly Tick[], plotWidth: number, measure: Measure): (Tick & { anchor: 'middle' | 'end' })[] {
  const kept: (Tick & { anchor: 'middle' | 'end' })[] = [];
  let right = -Infinity;
  for (const tick of ticks) {
    const w = measure(tick.label);
    const anchor = tick.x + w / 2 > plotWidth + 20 ? 'end' : 'middle';
    const a = anchor === 'end' ? tick.x - w : tick.x - w / 2;
    if (a < right + gap) continue;
    kept.push({ ...tick, anchor });
    right = anchor === 'end' ? tick.x : tick.x + w / 2;
  }
  return kept;
}

/**
 * The moments a lane's row marks and labels, those at or before `cursor`: its first byte (a server
 * stamp, placed by `run.wireTime`), first token and done, in ms after Start.
 */
export function laneMoments(ix: LaneIndex, run: Pick<Run, 'wireTime'>, cursor: number): { name: string; ms: number }[] {
  const moments: { name: string; ms: number }[] = [];
  const firstWrite = ix.writes[0] && run.wireTime(ix.writes[0].t);
  if (firstWrite !== undefined && firstWrite <= cursor) moments.push({ name: 'first byte', ms: firstWrite });
  const firstToken = ix.tokenMs[0];
  if (firstToken !== undefined && firstToken <= cursor) moments.push({ name: 'first token', ms: firstToken });
  if (ix.doneMs !== undefined && ix.doneMs <= cursor) moments.push({ name: 'done', ms: ix.doneMs });
  return moments;
}
