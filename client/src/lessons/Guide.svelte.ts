import type { Studio } from '../run/Studio.svelte.ts';
import type { Run } from '../run/Run.svelte.ts';
import { defaultSettings } from '../run/settings.ts';
import { pageNow } from '../transports/types.ts';
import { stepState, type Lesson, type StepState } from './lesson.ts';
import { lessonRecording } from './lessons.ts';
import { Progress } from './progress.svelte.ts';
import { followerUpstreamNotice, noUpstreamNotice } from './upstreamNotice.ts';
import { publish } from './follow.ts';
import { labRuns, perform, servingInstances, setInstance } from '../run/labControls.svelte.ts';

/**
 * Walks a lesson step by step and sets the visualizer to each step's state: lanes, settings,
 * lab, highlighted segments, and the run (live, replayed from a shipped recording, or held back
 * until the learner has committed to a prediction). In presenter mode it also tells the audience.
 */
export class Guide {
  lesson = $state.raw<Lesson | null>(null);
  step = $state(0);
  /** Presenter mode: large type, no chrome, the step's lead only. */
  present = $state(false);
  /** The screen is blanked (key B), for the class to look at the speaker. */
  blank = $state(false);
  /** The current step's prediction: the learner's choice (-1: revealed without one), or null while open. */
  answer = $state<number | null>(null);
  /** The step's run is over and the player shows the moment the step is about. */
  settled = $state(false);
  /** This browser holds the presenter token: its moves are published to /follow. */
  publishes = $state(false);
  /**
   * A follower watches the presenter's run (broadcast) instead of running each step's reply
   * itself: a live step shows the latest run the presenter broadcast, and each new one as it comes.
   */
  watch = $state(false);
  /**
   * This page follows a presenter (`/follow`). A follower that runs a `run: upstream` step itself
   * replays its recording: each live run would be a paid request to the model, one per person in
   * the hall. Watching shows the presenter's live one.
   */
  follows = false;
  /** The latest run the presenter broadcast (while watching). */
  #broadcast: Run | null = null;
  /** The current step shows a live run: a broadcast run that comes goes on screen. */
  #wantsBroadcast = false;
  /**
   * The broadcast run the class's step shows, as the presenter's position names it (null: none
   * yet, the presenter's run for the step has not begun). Only that run goes on screen while
   * watching: a follower that moves on never shows the previous step's run.
   */
  #namedRun: string | null = null;
  /** Presenter: the run on screen when the current step began, and whether the step keeps it. */
  #runAtMove: Run | null = null;
  #keepsRun = false;
  readonly progress = new Progress();
  readonly studio: Studio;
  /** Predictions already answered, by `slug/step`: coming back to a step does not ask again. */
  #answers = new Map<string, number>();
  /** Bumped on every move, so a step's late async work cannot act on another step. */
  #move = 0;

  constructor(studio: Studio) {
    this.studio = studio;
  }

  /** What the current step sets (derived: the templates read it often). */
  readonly state: StepState | null = $derived(this.lesson ? stepState(this.lesson, this.step) : null);

  /** Waiting for the learner's prediction before the run may start. */
  get predicting(): boolean {
    return this.state?.predict !== undefined && this.answer === null;
  }

  get last(): number {
    return (this.lesson?.steps.length ?? 1) - 1;
  }

  /** Shows step `step` (0-based, clamped) of `lesson`. */
  show(lesson: Lesson, step: number): void {
    this.#runAtMove = this.studio.run;
    this.#keepsRun = false;
    this.lesson = lesson;
    this.step = Math.max(0, Math.min(step, lesson.steps.length - 1));
    this.answer = this.#answers.get(`${lesson.slug}/${this.step}`) ?? null;
    this.progress.mark(lesson.slug, this.step);
    this.announce();
    void this.#enter(stepState(lesson, this.step));
  }

  /** Next step; on an open prediction, reveals first (what a clicker's one button can do). */
  next(): boolean {
    if (!this.lesson) return false;
    if (this.predicting) {
      this.commit(-1);
      return true;
    }
    if (this.step >= this.last) return false;
    this.show(this.lesson, this.step + 1);
    return true;
  }

  previous(): boolean {
    if (!this.lesson || this.step === 0) return false;
    this.show(this.lesson, this.step - 1);
    return true;
  }

  /** The learner commits to a prediction (`-1`: none, the presenter revealed); now the run shows it. */
  commit(choice: number): void {
    const state = this.state;
    if (!state?.predict || this.answer !== null) return;
    this.answer = choice;
    this.settled = false;
    if (this.lesson) this.#answers.set(`${this.lesson.slug}/${this.step}`, choice);
    void this.#run(state, ++this.#move);
  }

  toggleBlank(): void {
    this.blank = !this.blank;
    this.announce();
  }

  /** Plays the step's run again from its start, without the server. */
  replay(): void {
    const player = this.studio.player;
    if (!player.run) return;
    player.seek(0);
    player.play();
  }

  /**
   * The presenter broadcast a run, or more of one (`isNew`: it just began). While watching, on a
   * step that runs live, it is what shows.
   */
  broadcastRun(run: Run, isNew: boolean): void {
    this.#broadcast = run;
    if (!this.watch || !this.#wantsBroadcast || run.id !== this.#namedRun) return;
    if (isNew || this.studio.run !== run) this.studio.show(run);
    else if (run.state !== 'live') this.studio.running = false;
  }

  /** Switches between watching the presenter's run and running each step here; the current step runs again the new way. */
  setWatch(watch: boolean): void {
    if (watch === this.watch) return;
    this.watch = watch;
    if (!watch) {
      // The presenter's run on screen is not this page's: the step runs its own.
      if (this.#broadcast && this.studio.run === this.#broadcast) this.studio.clear();
      this.#broadcast = null;
    }
    if (this.lesson) this.show(this.lesson, this.step);
  }

  /** The broadcast run the class's step shows (the presenter's position names it, `null`: none yet); the follow channel sets it. */
  get namedRun(): string | null {
    return this.#namedRun;
  }

  set namedRun(id: string | null) {
    this.#namedRun = id;
    const run = this.#broadcast;
    if (id !== null && run?.id === id && this.watch && this.#wantsBroadcast && this.studio.run !== run) this.studio.show(run);
  }

  /** Tells the audience where the class is (presenter mode, presenter's browser only), and which run its step shows once it has one. */
  announce(): void {
    if (!this.publishes || !this.present || !this.lesson) return;
    const run = this.studio.run;
    // The run on screen is this step's if it began during the step, or if the step keeps it.
    const named = run && (run !== this.#runAtMove || this.#keepsRun) ? { run: run.id } : {};
    publish({ slug: this.lesson.slug, step: this.step, blank: this.blank, ...named });
  }

  /** Presenter: the studio's run changed; one that began during this step is named to the audience. */
  runChanged(run: Run | null): void {
    if (run && run !== this.#runAtMove) this.announce();
  }

  async #enter(state: StepState): Promise<void> {
    const move = ++this.#move;
    this.settled = false;
    this.#wantsBroadcast = false;
    const studio = this.studio;
    studio.visible = state.lanes;
    studio.settings = { ...defaultSettings, ...state.settings };
    studio.lab = state.lab;
    studio.emphasis = state.highlight;
    studio.tab = state.tab ?? null;
    studio.network = state.network ?? null;
    studio.focus = state.focus;
    // Every view shown (key V) was for the step before; this one starts on its own evidence.
    studio.showAll = false;
    studio.highlight = null;
    if (this.predicting) {
      // The answer must not be on screen before the learner commits to one.
      studio.clear();
      return;
    }
    await this.#run(state, move);
  }

  /** Kills the instances under the load-balanced lanes `ms` into the run, as the lab's Kill button would. */
  async #killAfter(ms: number, move: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const run = this.studio.run;
    if (move !== this.#move || !run) return;
    await Promise.all(servingInstances(run).map((id) => setInstance(id, 'kill'))).catch((error: Error) => (this.studio.error = error.message));
  }

  /** Stops the step's run `ms` after it starts, as the Stop button would ("Stop generating"). */
  async #stopAfter(ms: number, move: number): Promise<void> {
    // The run shows a few ms after start() (once the tap listens); its Start is time 0.
    const before = this.studio.run;
    for (let waited = 0; this.studio.run === before && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    const run = this.studio.run;
    if (move !== this.#move || !run || run === before) return;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, run.startedAt + ms - pageNow())));
    if (move === this.#move && this.studio.run === run) this.studio.stop();
  }

  /**
   * Watching: shows the presenter's latest broadcast run if it has this step's lanes (else
   * nothing, until the presenter's run comes), and waits for the run on screen to end. False if
   * the step moved meanwhile.
   */
  async #watchBroadcast(state: StepState, move: number): Promise<boolean> {
    const studio = this.studio;
    this.#wantsBroadcast = true;
    const latest = this.#broadcast;
    const fits = (run: Run | null) =>
      run !== null && run.id === this.#namedRun && run.lanes.length === state.lanes.length && run.lanes.every((l, i) => l.id === state.lanes[i]);
    if (latest && fits(latest)) {
      if (studio.run !== latest) studio.show(latest);
    } else studio.clear();
    while (move === this.#move && !(studio.run && studio.run === this.#broadcast && studio.run.state !== 'live')) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return move === this.#move;
  }

  /** The step keeps the run on screen (it shows the same lanes and settings): the audience is told which. */
  #keep(): void {
    if (this.#keepsRun || !this.studio.run) return;
    this.#keepsRun = true;
    this.announce();
  }

  async #run(state: StepState, move: number): Promise<void> {
    const studio = this.studio;
    const lesson = this.lesson;
    if (!lesson) return;
    // Every await below may outlast the step: a later move owns the visualizer from then on.
    const moved = () => move !== this.#move;
    // The step's lab actions come just before its run (after a prediction, so they cannot give it away).
    try {
      for (const action of state.actions) await perform(action);
    } catch (error) {
      studio.error = `This step's lab could not be set up: ${(error as Error).message}`;
    }
    if (moved()) return;
    if (state.run === 'none') {
      // Nothing to run; a run of other lanes or settings left by the step before is not this step's.
      if (!studio.runShows(state.lanes, studio.settings)) studio.clear();
      else this.#keep();
      this.settled = true;
      return;
    }
    // A real model's stream: live from the server's first upstream model, else the recording.
    const ownUpstream = state.run === 'upstream' && !this.watch;
    let model = ownUpstream ? await studio.firstUpstreamModel() : null;
    if (moved()) return;
    // A follower replays the recording even where the server has a model (`follows`).
    const followerSkipsModel = model !== null && this.follows;
    if (followerSkipsModel) model = null;
    if (model) studio.settings.model = model;
    if (state.run === 'recording' || (ownUpstream && !model)) {
      const recording = await lessonRecording(lesson);
      if (moved()) return;
      studio.load(recording);
      if (followerSkipsModel) studio.notice = followerUpstreamNotice;
      else if (ownUpstream) studio.notice = noUpstreamNotice(studio.hasUpstream ? studio.modelsNote : null, studio.settings.model);
    } else if (lesson.recording && state.lab && !(await labRuns(state.lab))) {
      // The lab is not running on this server: the recording shipped with the lesson stands in.
      const recording = await lessonRecording(lesson);
      if (moved()) return;
      studio.load(recording);
      studio.notice = `The ${state.lab} lab is not running on this server, so this is the recording shipped with the lesson (replay it with R).`;
    } else if (moved()) {
      return;
    } else if (this.watch) {
      if (!(await this.#watchBroadcast(state, move))) return;
    } else if (state.run === 'fresh' || state.kill !== undefined || state.stop !== undefined || !studio.runShows(state.lanes, studio.settings)) {
      const racing = studio.start();
      if (state.kill !== undefined) void this.#killAfter(state.kill, move);
      if (state.stop !== undefined) void this.#stopAfter(state.stop, move);
      await racing;
      // No server to run it (the page opened from a file, the server gone): the recording stands in.
      if (!moved() && studio.error && lesson.recording) {
        const recording = await lessonRecording(lesson);
        if (moved()) return;
        studio.load(recording);
        studio.notice = 'The server did not answer, so this is the recording shipped with the lesson (replay it with R).';
      }
    } else {
      this.#keep();
      if (studio.running) await studio.settled;
    }
    if (moved()) return;
    // The run is over. The step shows the moment it is about: the one it names, or else the end
    // (a run kept from a step that parked it earlier would otherwise stay parked there).
    const player = studio.player;
    player.pause();
    player.seek(state.pause ?? player.duration);
    this.settled = true;
  }
}
