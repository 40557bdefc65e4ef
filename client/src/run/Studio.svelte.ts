import { createContext } from 'svelte';
import { laneIds, laneSpec, type LaneId } from './lanes.ts';
import { Player } from './Player.svelte.ts';
import { Run } from './Run.svelte.ts';
import { defaultSettings, settingsFromQuery, settingsQuery, type Settings } from './settings.ts';
import { tapRun } from './tapClient.ts';
import { fromRecording } from './recording.ts';
import type { HarImport } from './harImport.ts';
import { pageNow } from '../transports/types.ts';
import type { Focus, HighlightKind, NetworkView, WireTab } from '../lessons/lesson.ts';

export interface PromptInfo {
  id: string;
  title: string;
  prompt: string;
  tokens: number;
}

/** What is highlighted across views: a token of a lane (bubble, bytes and timeline agree). */
export interface Highlight {
  lane: LaneId;
  token?: number;
  /** A wire element (segment id within its connection). */
  conn?: number;
  element?: number;
  explain?: string;
}

/** Ms to keep the tap open after the last lane settles, for the closing bytes. */
const tail = 400;

/**
 * The page's state: settings, which lanes show, the current run and its player. One instance,
 * handed down by context; the URL mirrors it so a teacher can bookmark a demo.
 */
export class Studio {
  settings = $state<Settings>({ ...defaultSettings });
  visible = $state<LaneId[]>(['sse', 'ws', 'http']);
  prompts = $state<PromptInfo[]>([]);
  run = $state.raw<Run | null>(null);
  readonly player = new Player();
  error = $state<string | null>(null);
  /** Something to know that is not an error (a lesson replaying its shipped recording). */
  notice = $state<string | null>(null);
  highlight = $state<Highlight | null>(null);
  running = $state(false);
  /** Whether the last run was stopped before its end (the status line says so). */
  stopped = $state(false);
  /** The lab whose panel shows (`?lab=lb`, `?lab=faults`, or a lesson's step). */
  lab = $state<string | null>(null);
  /** Segment kinds a lesson step picks out in the byte views; the rest are dimmed. */
  emphasis = $state<HighlightKind[]>([]);
  /** The wire tab a lesson step opens in every lane (a lane's own tab otherwise). */
  tab = $state<WireTab | null>(null);
  /** `tls`: a lesson step shows lanes over TLS as their TLS records (the network view; a lane's own toggle otherwise). */
  network = $state<NetworkView | null>(null);
  /** What a lesson step is about: the views bring it into view and keep it there. */
  focus = $state.raw<Focus | null>(null);
  /** Show every view even where a step focuses on one (key V). */
  showAll = $state(false);
  /** The upstream's models (`upstream/<id>`), when the server has an upstream (`GET /v1/models`). */
  models = $state<string[]>([]);
  /** Whether the server has an upstream at all: without one the model picker is not shown. */
  hasUpstream = $state(false);
  /** Why there are no upstream models (it did not answer), for the model picker's note. */
  modelsNote = $state<string | null>(null);
  #abort: AbortController | null = null;
  #modelsLoaded: Promise<void> | null = null;

  constructor(query: URLSearchParams) {
    this.settings = settingsFromQuery(query);
    this.lab = query.get('lab');
    const lanes = query
      .get('lanes')
      ?.split(',')
      .filter((l): l is LaneId => (laneIds as string[]).includes(l));
    if (lanes?.length) this.visible = lanes;
  }

  async loadPrompts(): Promise<void> {
    try {
      const response = await fetch('/api/prompts');
      const body = (await response.json()) as { prompts: PromptInfo[] };
      this.prompts = body.prompts;
    } catch {
      this.error = 'The server did not answer /api/prompts. Is `npm start` running?';
    }
  }

  /** Asks the server which upstream models it has; never fails the page (the picker says why there are none). */
  loadModels(): Promise<void> {
    this.#modelsLoaded = this.#loadModels();
    return this.#modelsLoaded;
  }

  /**
   * The server's first upstream model (`upstream/<id>`), or null when it has none. An upstream that
   * did not answer when the page loaded is asked again (it may have started since).
   */
  async firstUpstreamModel(): Promise<string | null> {
    await (this.#modelsLoaded ?? this.loadModels());
    if (this.hasUpstream && this.models.length === 0) await this.loadModels();
    return this.models[0] ?? null;
  }

  async #loadModels(): Promise<void> {
    try {
      const body = (await (await fetch('/v1/models')).json()) as { data: { id: string }[]; upstream?: { url: string; error?: string } };
      this.models = body.data.map((m) => m.id).filter((id) => id.startsWith('upstream/'));
      this.hasUpstream = body.upstream !== undefined;
      this.modelsNote = body.upstream?.error
        ? `No upstream model to pick: ${body.upstream.error}`
        : body.upstream && this.models.length === 0
          ? 'The upstream lists no models.'
          : null;
    } catch {
      this.models = [];
      this.modelsNote = null;
    }
  }

  /**
   * Picks the model that says the reply: `upstream/<id>` (a real model: the upstream leg's lane
   * shows beside the others) or the simulated one (`''`).
   */
  setModel(model: string): void {
    if (model) this.settings.model = model;
    else delete this.settings.model;
    const has = this.visible.includes('upstream');
    // First: the hop from the model to Streamscope, then the hops from Streamscope to the page.
    if (model && !has) this.visible = ['upstream', ...this.visible];
    if (!model && has) this.visible = this.visible.filter((l) => l !== 'upstream');
  }

  /** Inspects the panel's URL: a run of the two inspect lanes (the page's leg, and Streamscope's to the URL). */
  inspect(): Promise<void> {
    this.visible = ['inspect', 'inspect-leg'];
    return this.start();
  }

  /** The page URL for the current state (`start=1` makes it start on load). */
  url(start = false): string {
    const query = settingsQuery(this.settings);
    query.set('lanes', this.visible.join(','));
    if (this.lab) query.set('lab', this.lab);
    if (start) query.set('start', '1');
    return `${location.pathname}?${query}`;
  }

  toggleLane(id: LaneId): void {
    this.visible = this.visible.includes(id) ? this.visible.filter((l) => l !== id) : laneIds.filter((l) => l === id || this.visible.includes(l));
  }

  /** Settles when the latest run started by `start()` is over. */
  settled: Promise<void> = Promise.resolve();

  /** Races the reply over every visible lane at once; settles when the run is over. */
  start(): Promise<void> {
    this.settled = this.#race();
    return this.settled;
  }

  async #race(): Promise<void> {
    this.stop();
    this.stopped = false;
    this.error = null;
    this.notice = null;
    const abort = new AbortController();
    this.#abort = abort;
    const id = `r${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const run = new Run(id, $state.snapshot(this.settings), [...this.visible], pageNow());
    let stopTap: () => void;
    try {
      stopTap = await tapRun(run);
    } catch (error) {
      this.error = (error as Error).message;
      return;
    }
    // Stopped (or replaced by another run) while the tap was being opened.
    if (abort.signal.aborted) return stopTap();
    // Time 0 is when the lanes start, not when the tap was asked for.
    run.startedAt = pageNow();
    const lanes = Promise.all(
      run.lanes.map((lane) =>
        laneSpec(lane.id).client(
          run.settings,
          run.id,
          (event) => {
            lane.addApp({ ...event, t: pageNow() });
            // Early answers may be handled late while the page renders; later tokens tighten the estimate.
            if (event.kind === 'open' || (event.kind === 'token' && (event.index ?? 0) % 16 === 15)) run.estimateOffset();
          },
          abort.signal,
        ),
      ),
    );
    // EventSource and WebSocket connect from tasks they queue; let the requests leave before the
    // (heavier) first render of the lanes, or that render would hold them back and skew time 0.
    await new Promise((resolve) => setTimeout(resolve, 30));
    if (abort.signal.aborted) {
      // Its lanes settle on their own (they share the signal); it never shows.
      void lanes.finally(stopTap);
      // Stopped, not replaced by a newer run (which is running).
      if (this.#abort === null) this.running = false;
      return;
    }
    // Running from the moment the run is on screen and its player loaded: Space on Stop pauses
    // that run, and the status line says it started when there is something to see.
    this.running = true;
    this.run = run;
    this.player.load(run);
    await lanes;
    await new Promise((resolve) => setTimeout(resolve, tail));
    stopTap();
    run.estimateOffset();
    if (this.run === run) {
      run.state = 'ended';
      this.running = false;
    }
  }

  /** Whether the current run shows exactly these lanes with these settings. */
  runShows(lanes: readonly LaneId[], settings: Settings): boolean {
    const run = this.run;
    if (!run) return false;
    const same = (Object.keys(settings) as (keyof Settings)[]).every((k) => run.settings[k] === settings[k]);
    return same && run.lanes.length === lanes.length && run.lanes.every((l, i) => l.id === lanes[i]);
  }

  /** Stops and clears the views (a lesson's prediction must not show its answer early). */
  clear(): void {
    this.stop();
    this.run = null;
    this.running = false;
  }

  stop(): void {
    if (this.#abort && this.running) this.stopped = true;
    this.#abort?.abort();
    this.#abort = null;
  }

  /**
   * Shows a run this page did not start: the presenter's, rebuilt from its broadcast. It plays
   * live while it grows (`running` until its state leaves `live`), and the player scrubs what has
   * arrived.
   */
  show(run: Run): void {
    this.stop();
    this.run = run;
    this.running = run.state === 'live';
    this.stopped = false;
    this.error = null;
    this.notice = null;
    this.player.load(run);
  }

  /**
   * Replays a recording (a parsed JSON file), or shows a HAR's streams that `open` read; needs no
   * server.
   */
  load(recording: unknown, har?: () => HarImport): void {
    this.stop();
    try {
      const opened = har?.();
      const run = opened ? opened.run : fromRecording(recording);
      this.settings = { ...run.settings };
      this.visible = run.lanes.map((l) => l.id);
      this.run = run;
      this.running = false;
      this.error = null;
      this.notice = opened ? opened.summary : null;
      this.player.load(run);
    } catch (error) {
      this.error = (error as Error).message;
      this.notice = null;
    }
  }

  /**
   * Opens a file someone picked or dropped: a Streamscope recording, or a HAR (told apart by its
   * content: a HAR has a `log`). The HAR reader loads only when a HAR comes.
   */
  async open(file: { name: string; text(): Promise<string> }): Promise<void> {
    let value: unknown;
    try {
      value = JSON.parse(await file.text());
    } catch (error) {
      this.error = `Could not read ${file.name}: ${(error as Error).message}`;
      this.notice = null;
      return;
    }
    if (typeof value === 'object' && value !== null && 'log' in value) {
      const { fromHar } = await import('./harImport.ts');
      this.load(value, () => fromHar(value, file.name));
    } else this.load(value);
  }
}

export const [getStudio, setStudio] = createContext<Studio>();
