/**
 * A timeline row's dense marks drawn on canvases instead of an SVG element each: the writes' bars
 * (one canvas, shown at the bars' opacity, so overlapping bars look like one shape), and the
 * bytes-so-far line and the tokens (another). d3 and the lane's index still say where each mark
 * goes; this only draws, at the device's pixel ratio.
 *
 * Drawing is incremental: while the scale, the clock offset and the colours stay, a frame that
 * adds events draws only those; anything else (a new scale, a scrub back, a theme change)
 * clears the canvas and draws all the visible marks again, at most one per pixel column past
 * `maxMarks` (as the SVG's column paths did).
 */
import type { LaneIndex } from './LaneIndex.ts';
import { maxMarks, rowLayout } from './rowLayout.ts';

/** px of canvas beyond each end of the plot, for marks centred on its edges. */
export const canvasBleed = 8;

export interface RowMarks {
  ix: LaneIndex;
  /** CSS px: the plot's width and the row's height. */
  width: number;
  height: number;
  /** px per ms, and the clock offset (ms) the wire marks are shifted by. */
  k: number;
  offset: number;
  barHeight: (size: number) => number;
  barWidth: (size: number) => number;
  /** Top of the bytes-written axis. */
  bytesMax: number;
  writeCount: number;
  tokenCount: number;
  /** Bars drawn thin (1.5 px), many writes for the width. */
  dense: boolean;
  /** The lane's colour, resolved (`rgb(…)`). */
  color: string;
  ratio: number;
}

const { barTop, base, tokenTop, tokenHeight } = rowLayout;

/** One canvas, with what is on it, so the next frame can add to it. */
class Layer {
  readonly canvas: HTMLCanvasElement;
  readonly ctx: CanvasRenderingContext2D | null;
  key = '';
  drawn = 0;
  /** A second count (the tokens, on the line's canvas). */
  drawn2 = 0;
  /** Past `maxMarks`: the last column drawn and its largest value. */
  column = NaN;
  columnValue = 0;
  column2 = NaN;
  /** Token marks on the canvas. */
  marks = 0;

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
  }

  /** Same key: keep what is drawn. Otherwise resize if needed and clear. Returns whether it was cleared. */
  prepare(key: string, m: RowMarks): boolean {
    if (key === this.key) return false;
    const ctx = this.ctx!;
    const w = Math.round((m.width + 2 * canvasBleed) * m.ratio);
    const h = Math.round(m.height * m.ratio);
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    ctx.setTransform(m.ratio, 0, 0, m.ratio, canvasBleed * m.ratio, 0);
    ctx.clearRect(-canvasBleed, 0, m.width + 2 * canvasBleed, m.height);
    this.key = key;
    this.drawn = this.drawn2 = 0;
    this.column = this.column2 = NaN;
    this.columnValue = 0;
    this.marks = 0;
    return true;
  }
}

export class RowCanvas {
  readonly #bars: Layer;
  readonly #marks: Layer;

  constructor(bars: HTMLCanvasElement, marks: HTMLCanvasElement) {
    this.#bars = new Layer(bars);
    this.#marks = new Layer(marks);
  }

  /** Brings both canvases to `m`. Returns the number of token marks on the canvas (one per token, or per pixel column past `maxMarks`). */
  draw(m: RowMarks): number {
    if (!this.#bars.ctx || !this.#marks.ctx) return 0;
    this.#drawBars(m);
    return this.#drawLineAndTokens(m);
  }

  #drawBars(m: RowMarks): void {
    const layer = this.#bars;
    const columns = m.writeCount > maxMarks;
    const key = `${m.width}|${m.height}|${m.ratio}|${m.k}|${m.offset}|${m.color}|${columns}|${m.dense}`;
    // New height or width scales are new functions: compare them by identity.
    if (this.#barFns[0] !== m.barHeight || this.#barFns[1] !== m.barWidth) {
      this.#barFns = [m.barHeight, m.barWidth];
      layer.key = '';
    }
    if (m.writeCount < layer.drawn) layer.key = '';
    layer.prepare(key, m);
    const ctx = layer.ctx!;
    ctx.fillStyle = m.color;
    const writes = m.ix.writes;
    const shift = -m.offset * m.k;
    if (columns) {
      // One bar per pixel column, its largest write; the last column may still grow.
      for (let i = layer.drawn; i < m.writeCount; i++) {
        const w = writes[i]!;
        const x = Math.round(w.ms * m.k);
        if (x === layer.column) {
          if (w.size <= layer.columnValue) continue;
        } else if (!Number.isNaN(layer.column)) {
          // The previous column is complete: draw it (it may have been drawn smaller before).
          columnBar(ctx, layer.column + shift, m.barHeight(layer.columnValue));
        }
        if (x !== layer.column) layer.columnValue = 0;
        layer.column = x;
        layer.columnValue = Math.max(layer.columnValue, w.size);
      }
      if (!Number.isNaN(layer.column)) columnBar(ctx, layer.column + shift, m.barHeight(layer.columnValue));
    } else {
      for (let i = layer.drawn; i < m.writeCount; i++) {
        const { ms, size } = writes[i]!;
        const w = m.dense ? 1.5 : Math.round(m.barWidth(size) * 2) / 2;
        const h = Number(m.barHeight(size).toFixed(1));
        ctx.fillRect((ms - m.offset) * m.k - w / 2, base - h, w, h);
      }
    }
    layer.drawn = m.writeCount;
  }

  #barFns: [unknown, unknown] = [undefined, undefined];

  #drawLineAndTokens(m: RowMarks): number {
    const layer = this.#marks;
    const columns = m.tokenCount > maxMarks;
    const key = `${m.width}|${m.height}|${m.ratio}|${m.k}|${m.offset}|${m.color}|${columns}|${m.bytesMax}`;
    if (m.writeCount < layer.drawn || m.tokenCount < layer.drawn2) layer.key = '';
    layer.prepare(key, m);
    const ctx = layer.ctx!;
    const { ix } = m;

    // The bytes-written step line, from where the last frame's ended (its last rise drawn again,
    // so the corner joins as in one path).
    if (m.writeCount > layer.drawn) {
      const xOf = (k: number) => (ix.writeMs[k]! - m.offset) * m.k;
      const scale = (base - barTop) / m.bytesMax;
      const yOf = (bytes: number) => base - bytes * scale;
      const from = layer.drawn;
      ctx.beginPath();
      let y: number;
      if (from === 0) ctx.moveTo(xOf(0), (y = yOf(0)));
      else {
        ctx.moveTo(xOf(from - 1), yOf(from >= 2 ? ix.bytesAfter(from - 2) : 0));
        ctx.lineTo(xOf(from - 1), (y = yOf(ix.bytesAfter(from - 1))));
      }
      for (let k = from; k < m.writeCount; k++) {
        const x = xOf(k);
        ctx.lineTo(x, y);
        ctx.lineTo(x, (y = yOf(ix.bytesAfter(k))));
      }
      ctx.strokeStyle = m.color;
      ctx.lineWidth = 2;
      ctx.lineJoin = 'miter';
      ctx.miterLimit = 4;
      ctx.stroke();
      layer.drawn = m.writeCount;
    }

    ctx.fillStyle = m.color;
    if (columns) {
      for (let i = layer.drawn2; i < m.tokenCount; i++) {
        const x = Math.round(ix.tokenMs[i]! * m.k);
        if (x === layer.column2) continue;
        layer.column2 = x;
        ctx.fillRect(x - 0.5, tokenTop, 1.5, tokenHeight);
        layer.marks++;
      }
    } else {
      for (let i = layer.drawn2; i < m.tokenCount; i++) {
        ctx.fillRect(ix.tokenMs[i]! * m.k - 1.5, tokenTop, 3, tokenHeight);
        layer.marks++;
      }
    }
    layer.drawn2 = m.tokenCount;
    return layer.marks;
  }
}

/** A 1.5 px bar from `base` up by `h`, in column `x` (as `barPiece` draws it). */
function columnBar(ctx: CanvasRenderingContext2D, x: number, h: number): void {
  const height = Number(h.toFixed(1));
  ctx.fillRect(x - 0.5, base - height, 1.5, height);
}
