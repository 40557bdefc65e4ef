/**
 * Every figure a lesson quotes and marks (`<!-- figure: … -->`, see `format/figures.ts`) is what
 * the real server sends for that step's settings, measured over a real socket: a Content-Length,
 * a chunk size or a count of bytes per token cannot drift from the bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../server/testing/listen.ts';
import { faultsRoutes } from '../server/labs/faults/faultsRoutes.ts';
import { lessonFolders, readLesson } from './format/parseLesson.ts';
import { capture, captureKey, figureMarks, figureMatches, marksIn, measures, type Capture, type FigureMark } from './format/figures.ts';

const marks: FigureMark[] = lessonFolders().flatMap((folder) => figureMarks(readLesson(folder)));

let server: Listening;
/** One run per lane and settings, shared by the figures that read it. */
const captures = new Map<string, Promise<Capture>>();

beforeAll(async () => {
  // No heartbeat comments: a slow machine must not add bytes the page would not see.
  server = await listen({ heartbeatMs: 600_000, routes: (app, ctx) => app.use(faultsRoutes(ctx)) });
  for (const mark of marks) {
    const key = captureKey(mark);
    if (!captures.has(key)) captures.set(key, capture(server.url, mark.lane, mark.run));
  }
  await Promise.all(captures.values());
}, 60_000);
afterAll(() => server?.close());

describe('the figures the lessons quote', () => {
  it('are marked, in the lessons where the issue found them drifting', () => {
    const marked = (lesson: string, measure: string) => marks.some((m) => m.lesson === lesson && m.measure === measure);
    expect(marked('chunks', 'content-length')).toBe(true);
    expect(marked('chunks', 'chunk-size')).toBe(true);
    expect(marked('cost-per-token', 'text-bytes-per-token')).toBe(true);
  });

  it.each(marks.map((m) => [`${m.lesson} ${m.step + 1}: ${m.quoted} ${m.marker}`, m] as const))('%s', async (_name, mark) => {
    const measured = measures[mark.measure]!.value(await captures.get(captureKey(mark))!, mark.settings, mark.arg);
    expect(figureMatches(mark.quoted, measured, mark.about), `the lesson says ${mark.quoted}, the server's bytes say ${measured}`).toBe(true);
  });
});

describe('figure markers', () => {
  it('take the figure written just before them, through tags and punctuation', () => {
    const html =
      '<p>A <code>Content-Length: 759</code><!-- figure: http content-length -->. The first, <code>d</code><!-- figure: sse chunk-size 1 -->, is 13<!-- figure: sse chunk-bytes 1 -->: about 3,300<!-- figure about: sse body-bytes --> bytes.</p>';
    expect(marksIn(html).map((m) => [m.quoted, m.about, m.words.join(' ')])).toEqual([
      ['759', false, 'http content-length'],
      ['d', false, 'sse chunk-size 1'],
      ['13', false, 'sse chunk-bytes 1'],
      ['3,300', true, 'sse body-bytes'],
    ]);
  });

  it.each([
    ['759', 759, false, true],
    ['757', 759, false, false],
    ['d', 'd', false, true],
    ['36', '36', false, true],
    ['3,300', 3273, true, true],
    ['3,300', 3349.9, true, true],
    ['3,300', 3350.1, true, false],
    ['760', 757, true, true],
    ['4.4', 4.42, true, true],
    ['4.4', 4.07, true, false],
    ['4.1', 4.07, true, true],
    ['40', 40.2, true, true],
    ['14', 13.7, true, true],
    ['70', 70, true, true],
    ['3,300', 3273, false, false],
    ['three', 3, false, true],
    ['Four', 3, false, false],
  ] as const)('%s says %s (about: %s): %s', (quoted, value, about, ok) => {
    expect(figureMatches(quoted, value, about)).toBe(ok);
  });
});
