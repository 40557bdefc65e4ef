/**
 * Rules of lesson content that the parser does not check: commands name the one origin the page
 * rewrites to its own (`client/src/lessons/servedOrigin.ts`).
 */
import { describe, expect, it } from 'vitest';
import { lessonFolders, readLesson } from './format/parseLesson.ts';
import { withServedOrigin } from '../client/src/lessons/servedOrigin.ts';

describe.each(lessonFolders())('%s', (folder) => {
  const lesson = readLesson(folder);
  const texts = lesson.steps.flatMap((s) => [s.lead, s.body, s.config.predict?.explain ?? '']);

  it('writes its commands for http://localhost:3000 (and https://localhost:3443), which the page points at its own origin', () => {
    const local = texts.flatMap((t) => [...t.matchAll(/\b(?:https?|wss?):\/\/(?:localhost|127\.0\.0\.1|0\.0\.0\.0)(?::\d+)?/g)].map((m) => m[0]));
    // Ollama's own port (lesson 8 puts a model behind Streamscope) is another server: it stays as written.
    expect(local.filter((origin) => !/^(?:(?:https?|wss?):\/\/localhost:3000|https:\/\/localhost:3443)$/.test(origin) && !/:11434$/.test(origin))).toEqual([]);
    for (const text of texts) expect(withServedOrigin(text, 'http://10.1.2.3:4567')).not.toContain('localhost:3000');
  });
});
