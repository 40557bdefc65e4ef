/**
 * Contrast that axe leaves undecided. axe reports text whose background it cannot determine
 * (text over a partly overlapping sibling, arrows and other symbols, escape images) as
 * "incomplete", not as passing or failing. This measures those from pixels: the probed text is
 * made transparent, the screen under it is captured, and its most common colour is the
 * background; the foreground is the text's computed colour, faded by its opacity, over that.
 * The bar is WCAG 1.4.3's 4.5:1 (3:1 for large text), and 1.4.11's 3:1 for symbols, which are
 * graphics rather than text.
 */
import type { Page } from 'playwright-core';
import type { Undecided } from './axe.ts';

export interface ContrastFailure {
  target: string;
  text: string;
  ratio: number;
  needed: number;
}

type Rgb = [number, number, number];

interface Probe {
  id: number;
  mark: string;
  target: string;
  text: string;
  fg: [number, number, number, number];
  needed: number;
}

/** Relative luminance (WCAG 2.1). */
function luminance([r, g, b]: Rgb): number {
  const lin = (c: number): number => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrastRatio(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The pixels under a probed element's glyphs. A live page may move it (a byte view following the
 * newest bytes), so the box is read again after the capture and the capture retried if it moved.
 */
async function captureUnder(page: Page, id: number): Promise<Buffer | undefined> {
  const box = (scroll: boolean): Promise<Box | null> =>
    page.evaluate(
      async ([id, scroll]) => {
        const el = document.querySelector<HTMLElement>(`[data-contrast-probe="${id}"]`);
        if (!el) return null;
        if (scroll) {
          // A byte view holds a lesson's pinned segment in place until the reader scrolls by hand.
          el.dispatchEvent(new WheelEvent('wheel', { bubbles: true }));
          el.scrollIntoView({ block: 'center', inline: 'nearest' });
          await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
        }
        // The box of the glyphs themselves, cut to what the scrollers around them show.
        const range = document.createRange();
        range.selectNodeContents(el);
        const r = range.getClientRects()[0] ?? el.getBoundingClientRect();
        let [left, top, right, bottom] = [r.left, r.top, r.right, r.bottom];
        for (let e = el.parentElement; e; e = e.parentElement) {
          if (getComputedStyle(e).overflow === 'visible') continue;
          const c = e.getBoundingClientRect();
          [left, top, right, bottom] = [Math.max(left, c.left), Math.max(top, c.top), Math.min(right, c.right), Math.min(bottom, c.bottom)];
        }
        left = Math.max(0, Math.floor(left));
        top = Math.max(0, Math.floor(top));
        return { x: left, y: top, width: Math.min(innerWidth, Math.ceil(right)) - left, height: Math.min(innerHeight, Math.ceil(bottom)) - top };
      },
      [id, scroll] as const,
    );
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = await box(attempt === 0);
    if (before === null || before.width < 1 || before.height < 1) return undefined;
    const png = await page.screenshot({ clip: before, animations: 'disabled' });
    const after = await box(false);
    if (after !== null && JSON.stringify(after) === JSON.stringify(before)) return png;
  }
  return undefined;
}

/** The nodes whose colour contrast axe could not decide, measured here. */
export async function undecidedContrast(page: Page, targets: Undecided[]): Promise<ContrastFailure[]> {
  // One probe per look: a hundred gutter arrows of one colour on one background are one check.
  const probes = await page.evaluate((targets) => {
    const seen = new Set<string>();
    const out: Probe[] = [];
    targets.forEach(({ mark, target }, id) => {
      const el = document.querySelector<HTMLElement>(mark);
      if (!el?.isConnected) return; // axe saw it just before the page removed it
      const style = getComputedStyle(el);
      let opacity = 1;
      for (let e: Element | null = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
      const m = style.color.match(/[\d.]+/g)!.map(Number);
      const fg: [number, number, number, number] = [m[0]!, m[1]!, m[2]!, (m[3] ?? 1) * opacity];
      const text = (el.textContent ?? '').trim();
      const size = parseFloat(style.fontSize);
      const bold = Number(style.fontWeight) >= 700;
      // Symbols (arrows, ✓): no letter or digit in them; a graphic's bar is 3:1.
      const symbol = !/[\p{L}\p{N}]/u.test(text);
      const needed = symbol || size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
      const look = [style.color, opacity, el.className, el.parentElement?.className, getComputedStyle(el.parentElement ?? el).backgroundColor].join('|');
      // Text drawn in a transparent colour, or faded out entirely, is not seen at all.
      if (seen.has(look) || text === '' || fg[3] === 0) return;
      seen.add(look);
      out.push({ id, mark, target, text: text.slice(0, 40), fg, needed });
    });
    // Marked only now: a marked element hides the text of everything inside it.
    for (const probe of out) document.querySelector<HTMLElement>(probe.mark)!.dataset.contrastProbe = String(probe.id);
    return out;
  }, targets);

  const hide = await page.addStyleTag({
    content:
      '[data-contrast-probe], [data-contrast-probe] * { color: transparent !important; -webkit-text-fill-color: transparent !important; text-shadow: none !important; }',
  });
  const failures: ContrastFailure[] = [];
  try {
    for (const probe of probes) {
      const png = await captureUnder(page, probe.id);
      if (png === undefined) continue; // virtualised away or clipped by a scroller: not on screen
      const bg = await page.evaluate(async (b64) => {
        const bitmap = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
        const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(bitmap, 0, 0);
        const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
        const counts = new Map<number, number>();
        for (let i = 0; i < data.length; i += 4) {
          const key = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        const [key] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
        return [(key >> 16) & 255, (key >> 8) & 255, key & 255];
      }, png.toString('base64'));
      const [r, g, b, a] = probe.fg;
      const seenFg: Rgb = [r * a + bg[0]! * (1 - a), g * a + bg[1]! * (1 - a), b * a + bg[2]! * (1 - a)];
      const ratio = contrastRatio(seenFg, bg as Rgb);
      if (ratio < probe.needed) failures.push({ target: probe.target, text: probe.text, ratio: Math.round(ratio * 100) / 100, needed: probe.needed });
    }
  } finally {
    await hide.evaluate((style) => (style as HTMLStyleElement).remove());
    await page.evaluate(() => {
      for (const el of document.querySelectorAll<HTMLElement>('[data-contrast-probe]')) delete el.dataset.contrastProbe;
    });
  }
  return failures;
}
