import { estimate, type Measure } from './timeline/labels.ts';

let context: CanvasRenderingContext2D | null | undefined;

/**
 * Measures text in `size` px of the page's font (`--font`), bold or not, on a canvas, so that
 * labels are placed by the width they will have; an estimate where there is no DOM.
 */
export function measurer(size: number, bold = false): Measure {
  if (typeof document === 'undefined') return estimate(size, bold);
  context ??= document.createElement('canvas').getContext('2d');
  const ctx = context;
  if (!ctx) return estimate(size, bold);
  const family = getComputedStyle(document.documentElement).getPropertyValue('--font').trim() || 'sans-serif';
  const font = `${bold ? 'bold ' : ''}${size}px ${family}`;
  const widths = new Map<string, number>();
  return (text) => {
    let w = widths.get(text);
    if (w === undefined) {
      ctx.font = font;
      widths.set(text, (w = ctx.measureText(text).width));
    }
    return w;
  };
}
