import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLesson } from './parseLesson.ts';
import { stepState } from '../../client/src/lessons/lesson.ts';

const file = '/repo/lessons/07-drops/index.md';

const lesson = (front: string, body: string) => `---\n${front}\n---\n${body}`;
const ok = lesson(
  'title: Drops\nsummary: When the connection drops.\nlanes: [sse, ws]\nsettings: { tps: 40 }',
  `## First\n\nThe lead paragraph.\n\nMore text.\n\n\`\`\`step\nhighlight: [chunk-size]\ntab: hex\n\`\`\`\n\n## Second\n\nAnother lead.\n\n\`\`\`step\nsettings: { seed: 7 }\nlanes: [sse]\npause: 1200\n\`\`\`\n`,
);

describe('parseLesson', () => {
  it('reads frontmatter, steps, their config, lead and body', () => {
    const parsed = parseLesson(file, ok);
    expect(parsed).toMatchObject({ slug: 'drops', number: 7, title: 'Drops', lanes: ['sse', 'ws'], settings: { tps: 40 }, lab: null, minutes: 3 });
    expect(parsed.steps.map((s) => s.title)).toEqual(['First', 'Second']);
    expect(parsed.steps[0]!.config).toEqual({ highlight: ['chunk-size'], tab: 'hex' });
    expect(parsed.steps[0]!.lead).toBe('<p>The lead paragraph.</p>\n');
    expect(parsed.steps[0]!.body).toContain('<p>More text.</p>');
    expect(parsed.steps[0]!.body).not.toContain('highlight');
  });

  it('carries lanes and settings over to later steps, but not a step’s own highlight', () => {
    const parsed = parseLesson(file, ok);
    expect(stepState(parsed, 0)).toMatchObject({ lanes: ['sse', 'ws'], settings: { tps: 40 }, highlight: ['chunk-size'], tab: 'hex' });
    expect(stepState(parsed, 1)).toMatchObject({ lanes: ['sse'], settings: { tps: 40, seed: 7 }, highlight: [], tab: undefined, pause: 1200 });
  });

  it.each([
    ['an unknown frontmatter key', lesson('title: T\nsummary: S\ncolour: red', '## A\n\nLead.'), 'frontmatter.colour: unknown key'],
    ['a missing title', lesson('summary: S', '## A\n\nLead.'), 'title: must be a non-empty string'],
    ['an unknown lane', lesson('title: T\nsummary: S\nlanes: [sse, smoke]', '## A\n\nLead.'), 'lanes[1]: "smoke" is not one of'],
    ['a tps out of bounds', lesson('title: T\nsummary: S\nsettings: { tps: 5000 }', '## A\n\nLead.'), 'settings.tps: '],
    ['an unknown prompt', lesson('title: T\nsummary: S\nsettings: { prompt: nope }', '## A\n\nLead.'), 'settings.prompt: Unknown prompt "nope"'],
    ['an unknown setting', lesson('title: T\nsummary: S\nsettings: { speed: 2 }', '## A\n\nLead.'), 'settings.speed: unknown key'],
    ['an unknown step key', lesson('title: T\nsummary: S', '## A\n\nLead.\n\n```step\nrun: fresh\nzoom: 2\n```\n'), 'steps[0].zoom: unknown key'],
    [
      'a bad highlight',
      lesson('title: T\nsummary: S', '## A\n\nLead.\n\n```step\nhighlight: [chunk-sise]\n```\n'),
      'steps[0].highlight[0]: "chunk-sise" is not one of',
    ],
    ['a bad run mode', lesson('title: T\nsummary: S', '## A\n\nLead.\n\n```step\nrun: later\n```\n'), 'steps[0].run: "later"'],
    [
      'a predict answer out of range',
      lesson('title: T\nsummary: S', '## A\n\nLead.\n\n```step\npredict: { question: Q, choices: [a, b], answer: 2, explain: E }\n```\n'),
      'steps[0].predict.answer: must be a number from 0 to 1',
    ],
    [
      'a predict without explain',
      lesson('title: T\nsummary: S', '## A\n\nLead.\n\n```step\npredict: { question: Q, choices: [a, b], answer: 1 }\n```\n'),
      'steps[0].predict.explain',
    ],
    ['a step without a lead paragraph', lesson('title: T\nsummary: S', '## A\n\n```sh\nls\n```\n'), 'steps[0] ("A"): a step starts with a paragraph'],
    [
      'two step blocks',
      lesson('title: T\nsummary: S', '## A\n\nLead.\n\n```step\nrun: fresh\n```\n\n```step\nrun: none\n```\n'),
      'steps[0]: a step has at most one ```step block',
    ],
    ['text before the first step', lesson('title: T\nsummary: S', 'Intro.\n\n## A\n\nLead.'), 'steps: text before the first'],
    ['no steps', lesson('title: T\nsummary: S', ''), 'steps: a lesson needs at least one step'],
    ['no frontmatter', '## A\n\nLead.', 'frontmatter: the file must start'],
    ['YAML that does not parse', lesson('title: [unclosed', '## A\n\nLead.'), 'frontmatter: not valid YAML'],
    ['a recording that is not there', lesson('title: T\nsummary: S\nrecording: gone.json', '## A\n\nLead.'), 'recording: "gone.json" is not a file'],
    [
      'a recording step with no recording',
      lesson('title: T\nsummary: S', '## A\n\nLead.\n\n```step\nrun: recording\n```\n'),
      'steps[0].run: "recording" needs',
    ],
    [
      'an upstream step with no recording to stand in',
      lesson('title: T\nsummary: S', '## A\n\nLead.\n\n```step\nrun: upstream\nlanes: [upstream, openai]\n```\n'),
      'steps[0].run: "upstream" needs a `recording:` file in the frontmatter (it stands in when the server has no upstream)',
    ],
  ])('fails on %s, naming the file and the field', (_, source, message) => {
    expect(() => parseLesson(file, source)).toThrow(`${file}: ${message}`);
  });

  it('fails on a folder name without a number', () => {
    expect(() => parseLesson('/repo/lessons/drops/index.md', ok)).toThrow('folder: "drops" must be two digits');
  });

  it('accepts a recording shipped in the lesson folder', () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'lesson-')), '03-shipped');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'run.json'), '{}');
    const parsed = parseLesson(
      path.join(dir, 'index.md'),
      lesson('title: T\nsummary: S\nrecording: run.json', '## A\n\nLead.\n\n```step\nrun: recording\n```\n'),
    );
    expect(parsed.recording).toBe('run.json');
  });

  it('reads run: upstream, which shows the upstream leg in its own step only', () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'lesson-')), '08-real');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'run.json'), '{}');
    const at = path.join(dir, 'index.md');
    const front = 'title: T\nsummary: S\nlanes: [openai]\nrecording: run.json';
    const step = (config: string) => `\n\n\`\`\`step\n${config}\n\`\`\`\n`;
    const parsed = parseLesson(at, lesson(front, `## A\n\nLead.${step('run: upstream\nlanes: [upstream, openai]')}\n## B\n\nLead.${step('lanes: [openai]')}`));
    expect(stepState(parsed, 0)).toMatchObject({ run: 'upstream', lanes: ['upstream', 'openai'] });
    expect(() => parseLesson(at, lesson(front, `## A\n\nLead.${step('run: upstream')}`))).toThrow(
      `${at}: steps[0].lanes: "run: upstream" shows the upstream leg`,
    );
    expect(() => parseLesson(at, lesson(front, `## A\n\nLead.${step('lanes: [upstream, openai]')}`))).toThrow(
      `${at}: steps[0].lanes: the "upstream" lane shows only in a "run: upstream" step`,
    );
    // Carried over to the next step, it would be an empty lane there.
    expect(() => parseLesson(at, lesson(front, `## A\n\nLead.${step('run: upstream\nlanes: [upstream, openai]')}\n## B\n\nLead.`))).toThrow(
      `${at}: steps[1].lanes: the "upstream" lane shows only`,
    );
  });
});

describe('stop and fail (lessons 11 and 12)', () => {
  const source = (front: string, step: string) => lesson(`title: T\nsummary: S\n${front}`, `## A\n\nLead.\n\n\`\`\`step\n${step}\n\`\`\`\n\n## B\n\nLead.\n`);

  it('reads a step’s stop (its own, not carried over) and a fail setting (carried over like any setting)', () => {
    const parsed = parseLesson(file, source('settings: { fail: 20 }', 'stop: 1500'));
    expect(stepState(parsed, 0)).toMatchObject({ stop: 1500, settings: { fail: 20 } });
    expect(stepState(parsed, 1)).toMatchObject({ stop: undefined, settings: { fail: 20 } });
  });

  it('reads a pad setting (the record-size step of the TLS lesson)', () => {
    expect(stepState(parseLesson(file, source('settings: { pad: 64 }', 'run: fresh')), 0)).toMatchObject({ settings: { pad: 64 } });
  });

  it.each([
    ['a negative stop', source('', 'stop: -1'), 'steps[0].stop: must be a number from 0 to 600000'],
    ['a fail that is not a whole number', source('settings: { fail: 1.5 }', 'run: fresh'), 'settings.fail: Parameter "fail" must be a whole number'],
    ['a pad below a block of 16', source('settings: { pad: 8 }', 'run: fresh'), 'settings.pad: Parameter "pad" must be 0 (no padding) or a block size'],
  ])('fails on %s', (_, text, message) => {
    expect(() => parseLesson(file, text)).toThrow(`${file}: ${message}`);
  });
});
