/**
 * The marks of a lane's row, px from its top: the writes up from `base` (at most to `barTop`), the
 * wire line at `base`, tokens below. The row's height and its label lines are in `timelineText`.
 */
export const rowLayout = { barTop: 20, base: 44, tokenTop: 50, tokenHeight: 10 } as const;

/** Above this many visible writes (or tokens), a lane draws them as paths of pixel columns (`barColumns`, `tokenColumns`) instead of an element each, so the DOM stays bounded. */
export const maxMarks = 1000;

/**
 * Marks per chunk. Full chunks are cached (the same array or string every time) and drawn in a
 * layer that changes only when a chunk fills; the marks after the last full chunk are the only
 * ones redrawn as the cursor moves.
 */
export const chunkSize = 64;
