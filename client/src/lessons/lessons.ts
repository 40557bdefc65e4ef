import type { Lesson, LessonMeta } from './lesson.ts';
import { lessonServedAt } from './servedOrigin.ts';

// Code never lists lessons: every `lessons/NN-slug/index.md` is one, in the order of its number.
// The index's few fields come with the page; a lesson's steps load when it is opened.
const metas = import.meta.glob<LessonMeta>('../../../lessons/*/index.md', { eager: true, import: 'default', query: '?meta' });
const bodies = import.meta.glob<Lesson>('../../../lessons/*/index.md', { import: 'default' });

/** `…/NN-slug/file`: the lesson folder's name after its number and dash. */
const slugOf = (key: string): string | undefined => key.split('/').at(-2)?.slice(3);

export const lessons: readonly LessonMeta[] = Object.values(metas).sort((a, b) => a.number - b.number);

export function lessonMeta(slug: string): LessonMeta | undefined {
  return lessons.find((l) => l.slug === slug);
}

/**
 * The whole lesson, steps and all; undefined if there is none of that slug. Its commands name
 * the origin this page is served on, not the `localhost:3000` the markdown is written for.
 */
export async function loadLesson(slug: string): Promise<Lesson | undefined> {
  const key = Object.keys(bodies).find((k) => slugOf(k) === slug);
  return key ? lessonServedAt(await bodies[key]!(), location.origin) : undefined;
}

// Shipped recordings load only when a step asks for one.
const recordings = import.meta.glob<unknown>('../../../lessons/*/*.json', { import: 'default' });

/** A lesson's shipped recording, parsed JSON (see `run/recording.ts`). */
export async function lessonRecording(lesson: Lesson): Promise<unknown> {
  const key = Object.keys(recordings).find((k) => slugOf(k) === lesson.slug && k.endsWith(`/${lesson.recording}`));
  if (!key) throw new Error(`The recording "${lesson.recording}" of lesson "${lesson.slug}" is not in the build.`);
  return recordings[key]!();
}
