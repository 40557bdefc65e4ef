import type { Lesson } from './lesson.ts';

/**
 * The lessons' commands are written for `http://localhost:3000` (and `ws://localhost:3000`), so
 * the markdown stays readable; the page shows the origin it is served on.
 */
const written = /\b(https?|wss?):\/\/localhost:3000(?![\d])/g;
/** Commands for the HTTPS port are written for `https://localhost:3443` (the default `HTTPS_PORT`). */
const writtenSecure = /\bhttps:\/\/localhost:3443(?![\d])/g;

/**
 * `html` with every `http://localhost:3000` and `ws://localhost:3000` pointed at `origin` (the
 * page's `location.origin`): an http origin gets `ws://`, an https one `wss://`. Every
 * `https://localhost:3443` gets the page's host name: on the HTTPS port, the page's own origin;
 * on the plain port, port 3443 stays (the default `HTTPS_PORT`: the page cannot know another yet).
 */
export function withServedOrigin(html: string, origin: string): string {
  // A page opened from a file has the origin "null": then there is no server to point at.
  if (!/^https?:\/\//.test(origin)) return html;
  const url = new URL(origin);
  const secure = url.protocol === 'https:';
  return html
    .replace(written, (_m, scheme: string) => `${scheme.startsWith('ws') ? (secure ? 'wss' : 'ws') : secure ? 'https' : 'http'}://${url.host}`)
    .replace(writtenSecure, `https://${url.hostname}:${secure ? url.port || '443' : '3443'}`);
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
