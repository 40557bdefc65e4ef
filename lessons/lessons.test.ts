/**
 * Every lesson in lessons/ parses (its frontmatter and steps are valid), has a prediction and a
 * "Try it yourself", and the numbers run 1, 2, 3… with no gap or twin.
 */
import { describe, expect, it } from 'vitest';
import { folderPattern, lessonFolders, readLesson } from './format/parseLesson.ts';

const folders = lessonFolders();

describe('the lessons', () => {
  it('are numbered folders, 1 to n', () => {
    expect(folders.length).toBeGreaterThan(0);
    for (const folder of folders) expect(folder).toMatch(folderPattern);
    expect(folders.map((f) => Number(f.slice(0, 2)))).toEqual(folders.map((_, i) => i + 1));
  });

  describe.each(folders)('%s', (folder) => {
    const read = () => readLesson(folder);

    it('parses: frontmatter and every step are valid', () => {
      expect(read().steps.length).toBeGreaterThan(0);
    });

    it('has a prediction to commit to before the run', () => {
      expect(read().steps.some((s) => s.config.predict)).toBe(true);
    });

    it('has a "Try it yourself" the learner can run', () => {
      expect(read().steps.some((s) => /<h3[^>]*>Try it yourself<\/h3>/.test(s.body))).toBe(true);
    });
  });
});
