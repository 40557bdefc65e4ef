/**
 * The page's keys. Which action a key press asks for is decided here, apart from the page, so the
 * map can be tested; the page reads the press (`keyPress`) and carries the action out (`perform`).
 */
import type { Guide } from '../lessons/Guide.svelte.ts';
import type { Player } from '../run/Player.svelte.ts';
import type { Studio } from '../run/Studio.svelte.ts';

/** A key press, as much of it as the map needs. */
export interface KeyPress {
  /** `KeyboardEvent.key`. */
  key: string;
  /** Ctrl, ⌘ or Alt held: a shortcut of the browser's or the system's, not the page's. */
  modified: boolean;
  /** Typing: in an input, a text area, a select or editable content. */
  inField: boolean;
  /** In a tab list: its own ←/→/Home/End move between its tabs. */
  inTablist: boolean;
  /** On a button: Space presses it. */
  onButton: boolean;
}

/** A lesson's state the keys depend on; null outside a lesson (the studio, the lesson index). */
export interface LessonKeys {
  /** The page moves through the steps itself (a lesson, not the audience view, which follows the presenter). */
  moves: boolean;
  /** Presenter mode. */
  present: boolean;
}

export type KeyAction =
  | 'next-step'
  | 'previous-step'
  | 'toggle-present'
  | 'toggle-blank'
  | 'replay'
  | 'toggle-all-lanes'
  | 'play-pause'
  | 'step-forward'
  | 'step-back'
  | 'to-start'
  | 'to-end';

/**
 * What a key press does, or null if the page leaves it to the browser. In a lesson, PageDown and
 * PageUp (what presentation clickers send) move through the steps, and in presenter mode the
 * arrow keys too; P toggles presenter mode, B (or `.`, some clickers' blank key) blanks the screen,
 * R replays the step, V shows every lane. Everywhere, Space plays or pauses, ←/→ step through the
 * run, Home and End go to its start and end.
 */
export function keyAction(press: KeyPress, lesson: LessonKeys | null): KeyAction | null {
  if (press.inField || press.modified) return null;
  if (press.inTablist && ['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(press.key)) return null;
  if (lesson) {
    const action = lessonAction(press.key.length === 1 ? press.key.toLowerCase() : press.key, lesson);
    if (action) return action;
  }
  if (press.key === ' ' && !press.onButton) return 'play-pause';
  if (press.key === 'ArrowRight') return 'step-forward';
  if (press.key === 'ArrowLeft') return 'step-back';
  if (press.key === 'Home') return 'to-start';
  if (press.key === 'End') return 'to-end';
  return null;
}

function lessonAction(key: string, { moves, present }: LessonKeys): KeyAction | null {
  if (moves && (key === 'PageDown' || (present && (key === 'ArrowRight' || key === 'ArrowDown')))) return 'next-step';
  if (moves && (key === 'PageUp' || (present && (key === 'ArrowLeft' || key === 'ArrowUp')))) return 'previous-step';
  if (key === 'p' && moves) return 'toggle-present';
  if ((key === 'b' || key === '.') && (present || moves)) return 'toggle-blank';
  if (key === 'r') return 'replay';
  if (key === 'v') return 'toggle-all-lanes';
  return null;
}

/** Reads a key press off the page: where focus is decides what some keys mean. */
export function keyPress(e: KeyboardEvent): KeyPress {
  const target = e.target as HTMLElement;
  return {
    key: e.key,
    modified: e.ctrlKey || e.metaKey || e.altKey,
    inField: target.closest('input, textarea, select, [contenteditable]') !== null,
    inTablist: target.closest('[role="tablist"]') !== null,
    onButton: target.closest('button') !== null,
  };
}

/** What the keys act on. */
export interface KeyTargets {
  guide: Pick<Guide, 'lesson' | 'step' | 'present' | 'next' | 'previous' | 'show' | 'toggleBlank' | 'replay'>;
  studio: Pick<Studio, 'showAll'>;
  player: Pick<Player, 'duration' | 'toggle' | 'step' | 'seek'>;
}

/** Carries out a key's action. */
export function perform(action: KeyAction, { guide, studio, player }: KeyTargets): void {
  switch (action) {
    case 'next-step':
      guide.next();
      break;
    case 'previous-step':
      guide.previous();
      break;
    case 'toggle-present':
      guide.present = !guide.present;
      // Showing the step again announces it: entering presenter mode tells the audience where the class is.
      if (guide.present && guide.lesson) guide.show(guide.lesson, guide.step);
      break;
    case 'toggle-blank':
      guide.toggleBlank();
      break;
    case 'replay':
      guide.replay();
      break;
    case 'toggle-all-lanes':
      studio.showAll = !studio.showAll;
      break;
    case 'play-pause':
      player.toggle();
      break;
    case 'step-forward':
      player.step(1);
      break;
    case 'step-back':
      player.step(-1);
      break;
    case 'to-start':
      player.seek(0);
      break;
    case 'to-end':
      player.seek(player.duration);
      break;
  }
}
