/**
 * The marks of a lane's row, px from its top: the writes up from `base` (at most to `barTop`), the
 * wire line at `base`, tokens below. The row's height and its label lines are in `timelineText`.
 */
export const rowLayout = { barTop: 20, base: 44, tokenTop: 50, tokenHeight: 10 } as const;

/** Above this many visible writes (or tokens), a lane draws at most one per pixel column (see RowCanvas). */
export const maxMarks = 1000;
