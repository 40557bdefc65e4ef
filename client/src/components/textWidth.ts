import { estimate, type Measure } from './timeline/labels.ts';

let context: CanvasRenderingContext2D | null | undefined;
/** The page's font (`--font`), read once: `getComputedStyle` here would restyle the page mid-frame. */
let family: string | undefined;
/** One measurer per font, its widths kept. */
const measures = new Map<string, Measure>();

/**
 * Measures text in `size` px of the page's font (`--font`), bold or not, on a canvas, so that
 * labels are placed by the width they will have; an estimate where there is no DOM.
 */
export function measurer(size: number, bold = false): Measure {
  if (typeof document === 'undefined') return estimate(size, bold);
  context ??= document.createElement('canvas').getContext('2d');
  const ctx = context;
  if (!ctx) return estimate(size, bold);
  family ??= getComputedStyle(document.documentElement).getPropertyValue('--font').trim() || 'sans-serif';
  const font = `${bold ? 'bold ' : ''}${size}px ${family}`;
  let measure = measures.get(font);
  if (measure) return measure;
  const widths = new Map<string, number>();
  measure = (text) => {
    let w = widths.get(text);
    if (w === undefined) {
      ctx.font = font;
      widths.set(text, (w = ctx.measureText(text).width));
    }
    return w;
  };
  measures.set(font, measure);
  return measure;
}
