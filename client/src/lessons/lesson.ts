/**
 * A lesson as the page gets it: frontmatter checked and markdown rendered at build time by
 * `lessons/format/` (a Vite plugin), so the page never parses markdown or YAML.
 */
import type { LaneId } from '../run/lanes.ts';
import type { Settings } from '../run/settings.ts';
import type { SegmentKind } from '../wire/types.ts';
import { groupHighlights } from '../wire/highlight.ts';

/** A lab whose panel a lesson can open. */
export type LabId = 'lb' | 'faults' | 'http' | 'cors' | 'limits' | 'h2' | 'duplex';
export const labIds: readonly LabId[] = ['lb', 'faults', 'http', 'cors', 'limits', 'h2', 'duplex'];

export type WireTab = 'bytes' | 'hex' | 'headers';
export const wireTabs: readonly WireTab[] = ['bytes', 'hex', 'headers'];

/**
 * What a step is about, which the page brings into view and keeps there (presenter mode shows it
 * alone, large): one or more lanes' bytes or headers, the timeline, the chat bubbles, or a lab panel.
 */
export type FocusView = 'bytes' | 'headers' | 'timeline' | 'bubbles' | 'lab';
export const focusViews: readonly FocusView[] = ['bytes', 'headers', 'timeline', 'bubbles', 'lab'];

/** Which highlighted segment a byte view keeps in view: the first one, or the newest as the run goes on. */
export type PinMode = 'first' | 'newest';
export const pinModes: readonly PinMode[] = ['first', 'newest'];

/** A step's evidence, resolved: the view, the lanes it is on, a header to open, which segment to pin. */
export interface Focus {
  view: FocusView;
  /**
   * The lanes whose bytes or headers are the evidence (all of the step's lanes for the other
   * views); the first is where the step's main evidence is. They show in the step's lane order.
   */
  lanes: LaneId[];
  /** Headers the Headers tab opens on (in the response head), lowercase: each lane shows the first it has. */
  headers: string[];
  pin: PinMode;
}

/**
 * How a step gets its run:
 * - (unset) keep the current run when it already shows the step's lanes and settings, else start one;
 * - `fresh`: always start a new live run;
 * - `recording`: replay the lesson's shipped recording (for a lab that cannot run live);
 * - `upstream`: a real model's stream: live from the server's first `upstream/<id>` model when it
 *   has an upstream, else the shipped recording with a note on how to configure one;
 * - `none`: start nothing.
 */
export type RunMode = 'fresh' | 'recording' | 'upstream' | 'none';
export const runModes: readonly RunMode[] = ['fresh', 'recording', 'upstream', 'none'];

/** The kinds of wire segment a step can pick out in the byte views (and the HTTP/2 and TLS groups of `wire/highlight.ts`). */
const segmentHighlights = [
  'request-line',
  'status-line',
  'header',
  'head-end',
  'body',
  'chunk-size',
  'chunk-data',
  'chunk-crlf',
  'chunk-last',
  'chunk-end',
  'sse-field',
  'sse-comment',
  'sse-dispatch',
  'sse-block-end',
  'ws-fin-opcode',
  'ws-mask-len',
  'ws-ext-len',
  'ws-mask-key',
  'ws-payload',
  'ws-close-code',
  'h2-preface',
  'h2-length',
  'h2-type',
  'h2-flags',
  'h2-stream-id',
  'h2-setting',
  'h2-window-increment',
  'hpack-indexed',
  'hpack-literal',
  'tls-content-type',
  'tls-length',
  'tls-extension',
  'tls-encrypted',
] as const satisfies readonly SegmentKind[];
export const highlightKinds = [...segmentHighlights, ...groupHighlights] as const;
export type HighlightKind = (typeof highlightKinds)[number];

/** Which layer a lane's byte view shows: the plaintext (HTTP), or the same connection as TLS records (`tls`, the network view). */
export type NetworkView = 'tls';
export const networkViews: readonly NetworkView[] = ['tls'];

/** What a step may do to the labs before its run, so a class runs on a clicker (`run/labControls.svelte.ts`). */
export const labActions = [
  'login',
  'logout',
  'round-robin',
  'sticky',
  'revive-all',
  'log-own',
  'log-shared',
  'simulate',
  'cors-allow',
  'cors-deny',
  'origin-check-on',
  'origin-check-off',
] as const;
export type LabAction = (typeof labActions)[number];

/** A question the learner answers before the run shows the result. */
export interface Predict {
  question: string;
  choices: string[];
  /** Index into `choices`. */
  answer: number;
  /** Rendered HTML: why, shown after the run whatever the answer. */
  explain: string;
}

/** What a step does to the visualizer. Lanes, settings and lab carry over to later steps. */
export interface StepConfig {
  lanes?: LaneId[];
  settings?: Partial<Settings>;
  lab?: LabId | null;
  run?: RunMode;
  /** Pause the player this many ms after Start once the run has ended ("look at this moment"). */
  pause?: number;
  highlight?: HighlightKind[];
  tab?: WireTab;
  predict?: Predict;
  /** Lab actions done, in order, before the run. */
  actions?: LabAction[];
  /** ms after Start: kill the instances the load-balanced lanes are on. */
  kill?: number;
  /** What the step is about (default: from `tab`, `highlight` and `lab`, see `stepFocus`). */
  focus?: FocusView;
  /** The lanes the focus is on (default: the first lane for bytes, every lane otherwise). */
  lane?: LaneId[];
  /** Headers to open the Headers tab on, as spelled on the wire (`Content-Length`). */
  header?: string[];
  /** The highlighted segment a byte view keeps in view (default `first`). */
  pin?: PinMode;
  /** ms after Start: stop the run, as the Stop button ("Stop generating") would. */
  stop?: number;
  /** `tls`: the byte views of lanes over TLS show the connection's TLS records (the network view). The step's own. */
  network?: NetworkView;
}

export interface LessonStep {
  title: string;
  config: StepConfig;
  /** Rendered HTML of the step's first paragraph: all that presenter mode shows. */
  lead: string;
  /** Rendered HTML of the rest. */
  body: string;
}

export interface Lesson {
  /** The folder name without its number: `01-why-stream` → `why-stream`. */
  slug: string;
  /** The folder's number, which orders the lessons. */
  number: number;
  title: string;
  summary: string;
  minutes: number;
  lanes: LaneId[];
  settings: Partial<Settings>;
  lab: LabId | null;
  /** File name of a recording shipped in the lesson's folder. */
  recording: string | null;
  steps: LessonStep[];
}

/** What the lesson index shows of a lesson, loaded up front (the steps load with their lesson). */
export interface LessonMeta extends Pick<Lesson, 'slug' | 'number' | 'title' | 'summary' | 'minutes'> {
  stepCount: number;
}

/** What the visualizer should show at one step: the lesson's state with steps 1..n applied. */
export interface StepState {
  lanes: LaneId[];
  settings: Partial<Settings>;
  lab: LabId | null;
  run: RunMode | undefined;
  pause: number | undefined;
  highlight: HighlightKind[];
  tab: WireTab | undefined;
  predict: Predict | undefined;
  actions: LabAction[];
  kill: number | undefined;
  stop: number | undefined;
  network: NetworkView | undefined;
  focus: Focus;
}

/** The state at step `index` (0-based): carried-over lanes, settings and lab, and the step's own rest. */
export function stepState(lesson: Lesson, index: number): StepState {
  let lanes = lesson.lanes;
  let settings = lesson.settings;
  let lab = lesson.lab;
  for (const step of lesson.steps.slice(0, index + 1)) {
    lanes = step.config.lanes ?? lanes;
    settings = step.config.settings ? { ...settings, ...step.config.settings } : settings;
    lab = step.config.lab === undefined ? lab : step.config.lab;
  }
  const own = lesson.steps[index]?.config ?? {};
  const focus = stepFocus(own, lanes, lab);
  return {
    lanes,
    settings,
    lab,
    run: own.run,
    pause: own.pause,
    highlight: own.highlight ?? [],
    tab: own.tab ?? defaultTab(focus.view),
    predict: own.predict,
    actions: own.actions ?? [],
    kill: own.kill,
    stop: own.stop,
    network: own.network,
    focus,
  };
}

/**
 * A step's evidence. Unless the step names it: a step that opens the Headers tab is about headers,
 * one that picks out segments is about bytes, one with a lab open and no run about the lab, and
 * any other about the replies (the bubbles and their figures).
 */
export function stepFocus(own: StepConfig, lanes: LaneId[], lab: LabId | null): Focus {
  const view: FocusView =
    own.focus ?? (own.tab === 'headers' || own.header ? 'headers' : own.highlight?.length ? 'bytes' : lab && own.run === 'none' ? 'lab' : 'bubbles');
  const focusLanes = own.lane ?? (view === 'bytes' ? lanes.slice(0, 1) : lanes);
  return { view, lanes: focusLanes.filter((id) => lanes.includes(id)), headers: (own.header ?? []).map((h) => h.toLowerCase()), pin: own.pin ?? 'first' };
}

/** The wire tab a focus needs open, when the step does not say. */
function defaultTab(view: FocusView): WireTab | undefined {
  return view === 'headers' ? 'headers' : view === 'bytes' ? 'bytes' : undefined;
}
