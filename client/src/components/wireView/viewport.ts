/** Virtual-list arithmetic for the byte view: which rows to render and where to scroll. */
import type { RowModel } from './RowModel.ts';

/** Height of one visual row in px: the unit of the virtual list (must match `.row` in CSS). */
export const rowHeight = 22;
/** Rows rendered above and below the viewport. */
export const overscan = 20;
/**
 * Rows rendered above the viewport while the cursor moves (the run plays or is dragged) and the
 * view follows the newest bytes: fewer rows kept above means fewer built, since rows that arrive
 * between two redraws (see redrawPace) and scroll past the window are never built at all. A
 * reader who scrolls up stops the following, and the next frame draws the full `overscan`.
 */
export const overscanFollowing = 4;

/** The scroll position that shows the last of `rows` rows in a view `height` px tall. */
export function bottomTop(rows: number, height: number): number {
  return Math.max(0, rows * rowHeight - height);
}

/**
 * Indices of the rows to render, in order, when the view shows `rows` rows from `top` px in a
 * view `height` px tall: the pinned rows, then the rows in view with `above` rows above and
 * `overscan` below, the window's end moved to a clean row.
 */
export function windowRows(model: Pick<RowModel, 'pinned' | 'cleanEnd'>, rows: number, top: number, height: number, above = overscan): number[] {
  const from = Math.max(0, Math.floor(top / rowHeight) - above);
  const to = model.cleanEnd(Math.min(rows, Math.ceil((top + height) / rowHeight) + overscan), rows);
  const pinned = Math.min(model.pinned, rows);
  const out: number[] = [];
  for (let r = 0; r < pinned; r++) out.push(r);
  for (let r = Math.max(from, pinned); r < to; r++) out.push(r);
  return out;
}

/** The first row whose top is in view at `scrollTop`, of `rows` rows. */
export function topRow(scrollTop: number, rows: number): number {
  return Math.min(Math.max(0, Math.ceil(scrollTop / rowHeight)), rows - 1);
}

/** Is row `r` wholly in a view `height` px tall scrolled to `scrollTop`? */
export function rowInView(r: number, scrollTop: number, height: number): boolean {
  const top = r * rowHeight;
  return top >= scrollTop && top + rowHeight <= scrollTop + height;
}

/** The scroll position that just brings row `r` into view, or undefined when it is in view. */
export function revealTop(r: number, scrollTop: number, height: number): number | undefined {
  const top = r * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + height) return top + rowHeight - height;
  return undefined;
}
