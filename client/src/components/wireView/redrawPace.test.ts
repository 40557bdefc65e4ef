import { describe, expect, it } from 'vitest';
import { paced, redrawEvery } from './redrawPace.svelte.ts';

describe('paced', () => {
  const drawn = { at: 1000, count: 50 };
  it.each([
    ['nothing new: the same drawing', 60, 50, true, drawn],
    ['playing, soon after the last redraw: waits', 1000 + redrawEvery - 1, 58, true, drawn],
    ['playing, once the last redraw is old enough: redraws', 1000 + redrawEvery, 58, true, { at: 1000 + redrawEvery, count: 58 }],
    ['the cursor stands still or steps: at once', 1001, 58, false, { at: 1001, count: 58 }],
    ['dragged back, soon after the last redraw: waits too', 1001, 40, true, drawn],
    ['dragged back, once the last redraw is old enough: redraws', 1000 + redrawEvery, 40, true, { at: 1000 + redrawEvery, count: 40 }],
  ])('%s', (_name, now, latest, playing, want) => {
    expect(paced(drawn, latest, now, playing)).toEqual(want);
  });

  it('shows the first row after a quiet spell at once: only redraws count, not frames', () => {
    let d = { at: 0, count: 1 };
    for (let now = 16; now < 500; now += 16) d = paced(d, 1, now, true);
    expect(paced(d, 2, 500, true)).toEqual({ at: 500, count: 2 });
  });
});
