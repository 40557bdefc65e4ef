import { readFile } from 'node:fs/promises';
import type { Plugin } from 'vite';
import { parseLesson } from './parseLesson.ts';
import type { LessonMeta } from '../../client/src/lessons/lesson.ts';

/** `lessons/NN-slug/index.md`, on any OS, with `?meta` for the index's part only. */
const lessonFile = /[\\/]lessons[\\/]\d{2}-[^\\/]+[\\/]index\.md(\?meta)?$/;

/**
 * Turns each lesson's markdown into a JS module exporting the parsed `Lesson` (or, imported with
 * `?meta`, its `LessonMeta`), so the page imports lessons with `import.meta.glob` and a bad lesson
 * fails the build, naming file and field.
 */
export function lessonPlugin(): Plugin {
  return {
    name: 'streamscope-lessons',
    async load(id) {
      const match = lessonFile.exec(id);
      if (!match) return null;
      const file = id.replace(/\?meta$/, '');
      const lesson = parseLesson(file, await readFile(file, 'utf8'));
      // The index needs a few fields of every lesson up front; the steps load with their lesson.
      const { slug, number, title, summary, minutes, steps } = lesson;
      const meta: LessonMeta = { slug, number, title, summary, minutes, stepCount: steps.length };
      return { code: `export default ${JSON.stringify(match[1] ? meta : lesson)};`, map: null };
    },
  };
}
