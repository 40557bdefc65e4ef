import type { Lesson } from './lesson.ts';

/**
 * The lessons' commands are written for `http://localhost:3000` (and `ws://localhost:3000`), so
 * the markdown stays readable; the page shows the origin it is served on.
 */
const written = /\b(https?|wss?):\/\/localhost:3000(?![\d])/g;

/**
 * `html` with every `http://localhost:3000` and `ws://localhost:3000` pointed at `origin` (the
 * page's `location.origin`): an http origin gets `ws://`, an https one `wss://`.
 */
export function withServedOrigin(html: string, origin: string): string {
  // A page opened from a file has the origin "null": then there is no server to point at.
  if (!/^https?:\/\//.test(origin)) return html;
  const url = new URL(origin);
  const secure = url.protocol === 'https:';
  return html.replace(written, (_m, scheme: string) => `${scheme.startsWith('ws') ? (secure ? 'wss' : 'ws') : secure ? 'https' : 'http'}://${url.host}`);
}

/** The lesson with its steps' text (lead, body, prediction's explanation) pointed at `origin`. */
export function lessonServedAt(lesson: Lesson, origin: string): Lesson {
  const at = (html: string): string => withServedOrigin(html, origin);
  return {
    ...lesson,
    steps: lesson.steps.map((step) => ({
      ...step,
      lead: at(step.lead),
      body: at(step.body),
      config: step.config.predict ? { ...step.config, predict: { ...step.config.predict, explain: at(step.config.predict.explain) } } : step.config,
    })),
  };
}
