import { describe, expect, test } from 'vitest';
import { lessonServedAt, withServedOrigin } from './servedOrigin.ts';
import type { Lesson } from './lesson.ts';

describe('the lessons’ commands use the origin the page is served on', () => {
  test.each([
    // curl, in a code block
    ['curl -N "http://localhost:3000/api/stream/sse?tps=4"', 'http://127.0.0.1:3999', 'curl -N "http://127.0.0.1:3999/api/stream/sse?tps=4"'],
    // a WebSocket URL follows the page's scheme
    ["new WebSocket('ws://localhost:3000/api/stream/ws')", 'http://192.168.1.20:3000', "new WebSocket('ws://192.168.1.20:3000/api/stream/ws')"],
    ["new WebSocket('ws://localhost:3000/api/stream/ws')", 'https://class.example', "new WebSocket('wss://class.example/api/stream/ws')"],
    ["baseURL: 'http://localhost:3000/v1'", 'https://class.example:3443', "baseURL: 'https://class.example:3443/v1'"],
    // a link: its href and its text
    ['<a href="http://localhost:3000">http://localhost:3000</a>', 'http://127.0.0.1:4000', '<a href="http://127.0.0.1:4000">http://127.0.0.1:4000</a>'],
    // the HTTPS port: the page's host name, on the page's own port when it is on HTTPS
    ['curl -k "https://localhost:3443/api/stream/sse"', 'http://192.168.1.20:3000', 'curl -k "https://192.168.1.20:3443/api/stream/sse"'],
    ['curl -k "https://localhost:3443/api/stream/sse"', 'https://class.example:8443', 'curl -k "https://class.example:8443/api/stream/sse"'],
    // other ports and hosts are left alone
    ['http://localhost:30001/ and https://example.com/', 'http://127.0.0.1:3999', 'http://localhost:30001/ and https://example.com/'],
    // a page opened from a file (origin "null") keeps the text as written
    ['curl http://localhost:3000/api/prompts', 'null', 'curl http://localhost:3000/api/prompts'],
  ])('%s on %s', (html, origin, expected) => {
    expect(withServedOrigin(html, origin)).toBe(expected);
  });

  test('every step: lead, body and the prediction’s explanation', () => {
    const lesson = {
      slug: 'x',
      steps: [
        {
          title: 't',
          lead: '<p>http://localhost:3000/a</p>',
          body: '<pre>curl http://localhost:3000/b</pre>',
          config: { predict: { question: 'q', choices: ['a', 'b'], answer: 0, explain: '<p>http://localhost:3000/c</p>' } },
        },
        { title: 'u', lead: '<p>no origin</p>', body: '', config: {} },
      ],
    } as unknown as Lesson;
    const served = lessonServedAt(lesson, 'http://10.0.0.5:8080');
    expect(served.steps[0]).toMatchObject({
      lead: '<p>http://10.0.0.5:8080/a</p>',
      body: '<pre>curl http://10.0.0.5:8080/b</pre>',
      config: { predict: { explain: '<p>http://10.0.0.5:8080/c</p>' } },
    });
    expect(served.steps[1]).toEqual(lesson.steps[1]);
    // The lesson as built is not changed: a module's default export is shared.
    expect(lesson.steps[0]?.lead).toBe('<p>http://localhost:3000/a</p>');
  });
});
