/**
 * Reads one `lessons/NN-slug/index.md` into a `Lesson`: YAML frontmatter, then one step per `## `
 * heading, each with an optional ```step block (YAML) that configures the visualizer. Every
 * unknown key and bad value throws a `LessonError` naming the file and the field, so a typo fails
 * the build and the tests instead of silently doing nothing in class.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Marked } from 'marked';
import { laneIds, laneSpec } from '../../client/src/run/lanes.ts';
import { parseSettings } from '../../server/model/settings.ts';
import {
  highlightKinds,
  focusViews,
  labActions,
  labIds,
  networkViews,
  pinModes,
  runModes,
  wireTabs,
  type Lesson,
  type LessonStep,
  type Predict,
  type StepConfig,
} from '../../client/src/lessons/lesson.ts';
import type { Settings } from '../../client/src/run/settings.ts';

export class LessonError extends Error {
  constructor(file: string, field: string, problem: string) {
    super(`${file}: ${field}: ${problem}`);
    this.name = 'LessonError';
  }
}

/** `01-why-stream` → number 1, slug `why-stream`. */
export const folderPattern = /^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$/;

const markdown = new Marked({ gfm: true });

type Fields = Record<string, unknown>;

/** The lessons folder (this file's parent's parent). */
export const lessonsRoot = path.resolve(import.meta.dirname, '..');

/** The lesson folders under `lessonsRoot` (every folder but `format/`), in name order. */
export function lessonFolders(): string[] {
  return readdirSync(lessonsRoot, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'format')
    .map((d) => d.name)
    .sort();
}

/** Reads and parses the lesson in one folder of `lessonsRoot`. */
export function readLesson(folder: string): Lesson {
  const file = path.join(lessonsRoot, folder, 'index.md');
  return parseLesson(file, readFileSync(file, 'utf8'));
}

/** Parses the lesson in `file` (its path names the folder); `source` is the file's text. */
export function parseLesson(file: string, source: string): Lesson {
  const folder = path.basename(path.dirname(file));
  const match = folderPattern.exec(folder);
  if (!match) throw new LessonError(file, 'folder', `"${folder}" must be two digits, a dash and a lowercase-kebab slug, like "01-why-stream".`);

  const front = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(source);
  if (!front) throw new LessonError(file, 'frontmatter', 'the file must start with YAML frontmatter between two "---" lines.');
  const meta = yamlObject(file, 'frontmatter', front[1] ?? '');
  const check = new Checker(file);
  check.keys('frontmatter', meta, ['title', 'summary', 'minutes', 'lanes', 'settings', 'lab', 'recording']);

  const recording = meta.recording === undefined ? null : check.string('recording', meta.recording);
  if (recording !== null && !existsSync(path.join(path.dirname(file), recording))) {
    throw new LessonError(file, 'recording', `"${recording}" is not a file in ${folder}/.`);
  }
  const steps = splitSteps(file, source.slice(front[0].length)).map((raw, i) => parseStep(check, `steps[${i}]`, raw));
  if (steps.length === 0) throw new LessonError(file, 'steps', 'a lesson needs at least one step: a "## " heading.');
  const lessonLanes: Lesson['lanes'] = meta.lanes === undefined ? ['sse', 'ws', 'http'] : check.lanes('lanes', meta.lanes);
  let lanes = lessonLanes;
  for (const [i, step] of steps.entries()) {
    lanes = step.config.lanes ?? lanes;
    if (step.config.kill !== undefined && !lanes.some((id) => laneSpec(id).lab === 'lb')) {
      throw new LessonError(file, `steps[${i}].kill`, 'kills the instances under the load-balanced lanes, but the step shows none (lb-sse, lb-ws).');
    }
    const stray = step.config.lane?.find((id) => !lanes.includes(id));
    if (stray) throw new LessonError(file, `steps[${i}].lane`, `"${stray}" is not one of the step's lanes (${lanes.join(', ')}).`);
    if ((step.config.run === 'recording' || step.config.run === 'upstream') && recording === null) {
      const why = step.config.run === 'upstream' ? ' (it stands in when the server has no upstream)' : '';
      throw new LessonError(file, `steps[${i}].run`, `"${step.config.run}" needs a \`recording:\` file in the frontmatter${why}.`);
    }
    // The upstream leg has bytes only in a run of an upstream model.
    const upstreamLane = lanes.includes('upstream');
    if (step.config.run === 'upstream' && !upstreamLane) {
      throw new LessonError(file, `steps[${i}].lanes`, '"run: upstream" shows the upstream leg: put "upstream" among the step\'s lanes.');
    }
    if (upstreamLane && step.config.run !== 'upstream') {
      throw new LessonError(file, `steps[${i}].lanes`, 'the "upstream" lane shows only in a "run: upstream" step; set this step\'s own lanes.');
    }
  }

  return {
    slug: match[2]!,
    number: Number(match[1]),
    title: check.string('title', meta.title),
    summary: check.string('summary', meta.summary),
    minutes: meta.minutes === undefined ? 3 : check.number('minutes', meta.minutes, 1, 60),
    lanes: lessonLanes,
    settings: meta.settings === undefined ? {} : check.settings('settings', meta.settings),
    lab: meta.lab === undefined || meta.lab === null ? null : check.oneOf('lab', meta.lab, labIds),
    recording,
    steps,
  };
}

interface RawStep {
  title: string;
  /** The ```step block's YAML, if any. */
  config: string | null;
  markdown: string;
}

/** Cuts the body at each `## ` heading; nothing but blank lines may come before the first. */
function splitSteps(file: string, body: string): RawStep[] {
  const parts = body.split(/^## +(.+)$/m);
  if (parts[0]!.trim() !== '') throw new LessonError(file, 'steps', 'text before the first "## " heading belongs to no step; start the body with a heading.');
  const steps: RawStep[] = [];
  for (let i = 1; i < parts.length; i += 2) {
    const text = parts[i + 1] ?? '';
    const blocks = [...text.matchAll(/^```step\r?\n([\s\S]*?)^```[ \t]*$/gm)];
    if (blocks.length > 1) throw new LessonError(file, `steps[${steps.length}]`, 'a step has at most one ```step block.');
    const block = blocks[0];
    steps.push({ title: parts[i]!.trim(), config: block?.[1] ?? null, markdown: block ? text.replace(block[0], '') : text });
  }
  return steps;
}

function parseStep(check: Checker, field: string, raw: RawStep): LessonStep {
  const fields = raw.config === null ? {} : yamlObject(check.file, field, raw.config);
  check.keys(field, fields, [
    'lanes',
    'settings',
    'lab',
    'run',
    'pause',
    'highlight',
    'tab',
    'predict',
    'actions',
    'kill',
    'focus',
    'lane',
    'header',
    'pin',
    'stop',
    'network',
  ]);
  const config: StepConfig = {};
  if (fields.lanes !== undefined) config.lanes = check.lanes(`${field}.lanes`, fields.lanes);
  if (fields.settings !== undefined) config.settings = check.settings(`${field}.settings`, fields.settings);
  if (fields.lab !== undefined) config.lab = fields.lab === null ? null : check.oneOf(`${field}.lab`, fields.lab, labIds);
  if (fields.run !== undefined) config.run = check.oneOf(`${field}.run`, fields.run, runModes);
  if (fields.pause !== undefined) config.pause = check.number(`${field}.pause`, fields.pause, 0, 600_000);
  if (fields.highlight !== undefined) config.highlight = check.list(`${field}.highlight`, fields.highlight, (f, v) => check.oneOf(f, v, highlightKinds));
  if (fields.tab !== undefined) config.tab = check.oneOf(`${field}.tab`, fields.tab, wireTabs);
  if (fields.predict !== undefined) config.predict = check.predict(`${field}.predict`, fields.predict);
  if (fields.actions !== undefined) config.actions = check.list(`${field}.actions`, fields.actions, (f, v) => check.oneOf(f, v, labActions));
  if (fields.kill !== undefined) config.kill = check.number(`${field}.kill`, fields.kill, 0, 600_000);
  if (fields.focus !== undefined) config.focus = check.oneOf(`${field}.focus`, fields.focus, focusViews);
  if (fields.lane !== undefined) config.lane = check.lanes(`${field}.lane`, typeof fields.lane === 'string' ? [fields.lane] : fields.lane);
  if (fields.header !== undefined)
    config.header = check.list(`${field}.header`, typeof fields.header === 'string' ? [fields.header] : fields.header, (f, v) => check.string(f, v));
  if (fields.pin !== undefined) config.pin = check.oneOf(`${field}.pin`, fields.pin, pinModes);
  if (fields.stop !== undefined) config.stop = check.number(`${field}.stop`, fields.stop, 0, 600_000);
  if (fields.network !== undefined) config.network = check.oneOf(`${field}.network`, fields.network, networkViews);

  // The lead is the first paragraph: the few lines presenter mode shows.
  const tokens = markdown.lexer(raw.markdown.trim());
  const first = tokens.findIndex((t) => t.type !== 'space');
  const lead = tokens[first];
  if (lead?.type !== 'paragraph')
    throw new LessonError(check.file, `${field} ("${raw.title}")`, 'a step starts with a paragraph (its lead, which presenter mode shows).');
  const rest = Object.assign(
    tokens.filter((_, i) => i !== first),
    { links: tokens.links },
  );
  return { title: raw.title, config, lead: markdown.parser([lead]), body: markdown.parser(rest) };
}

function yamlObject(file: string, field: string, text: string): Fields {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new LessonError(file, field, `not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new LessonError(file, field, 'must be a YAML mapping (key: value lines).');
  return value as Fields;
}

/** Field checks that name the file and field in every error. */
class Checker {
  readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  fail(field: string, problem: string): never {
    throw new LessonError(this.file, field, problem);
  }

  keys(field: string, fields: Fields, known: readonly string[]): void {
    for (const key of Object.keys(fields)) {
      if (!known.includes(key)) this.fail(`${field}.${key}`, `unknown key; known keys: ${known.join(', ')}.`);
    }
  }

  string(field: string, value: unknown): string {
    if (typeof value !== 'string' || value.trim() === '') this.fail(field, 'must be a non-empty string.');
    return value;
  }

  number(field: string, value: unknown, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
      this.fail(field, `must be a number from ${min} to ${max}; got ${JSON.stringify(value)}.`);
    return value;
  }

  oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
    if (!allowed.includes(value as T)) this.fail(field, `${JSON.stringify(value)} is not one of: ${allowed.join(', ')}.`);
    return value as T;
  }

  list<T>(field: string, value: unknown, item: (field: string, value: unknown) => T): T[] {
    if (!Array.isArray(value) || value.length === 0) this.fail(field, 'must be a non-empty list.');
    return value.map((v, i) => item(`${field}[${i}]`, v));
  }

  lanes(field: string, value: unknown): Lesson['lanes'] {
    return this.list(field, value, (f, v) => this.oneOf(f, v, laneIds));
  }

  /** Reply settings, checked by the server's own rules (one home for the bounds). */
  settings(field: string, value: unknown): Partial<Settings> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'must be a mapping of reply settings.');
    const fields = value as Fields;
    this.keys(field, fields, ['prompt', 'text', 'tps', 'ttft', 'jitter', 'seed', 'fail', 'temperature', 'pad', 'randomDraw']);
    if (fields.randomDraw !== undefined && typeof fields.randomDraw !== 'boolean') this.fail(`${field}.randomDraw`, 'must be true or false.');
    try {
      const { randomDraw: _page, ...server } = fields;
      parseSettings(server);
    } catch (error) {
      const param = (error as { param?: string }).param;
      this.fail(param ? `${field}.${param}` : field, (error as Error).message);
    }
    return fields as Partial<Settings>;
  }

  predict(field: string, value: unknown): Predict {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'must be a mapping with question, choices, answer, explain.');
    const fields = value as Fields;
    this.keys(field, fields, ['question', 'choices', 'answer', 'explain']);
    const choices = this.list(`${field}.choices`, fields.choices, (f, v) => this.string(f, v));
    if (choices.length < 2) this.fail(`${field}.choices`, 'a prediction needs at least two choices.');
    const answer = this.number(`${field}.answer`, fields.answer, 0, choices.length - 1);
    if (!Number.isInteger(answer)) this.fail(`${field}.answer`, 'must be the index (0-based) of the right choice.');
    return {
      question: this.string(`${field}.question`, fields.question),
      choices,
      answer,
      explain: markdown.parse(this.string(`${field}.explain`, fields.explain), { async: false }),
    };
  }
}
