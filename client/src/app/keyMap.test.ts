import { describe, expect, test } from 'vitest';
import { keyAction, perform, type KeyAction, type KeyPress, type KeyTargets, type LessonKeys } from './keyMap.ts';

const press = (key: string, extra: Partial<KeyPress> = {}): KeyPress => ({ key, modified: false, inField: false, inTablist: false, onButton: false, ...extra });
const outside: LessonKeys | null = null;
const lesson: LessonKeys = { moves: true, present: false };
const presenting: LessonKeys = { moves: true, present: true };
const audience: LessonKeys = { moves: false, present: true };

describe('keyAction', () => {
  test.each<[string, KeyPress, LessonKeys | null, KeyAction | null]>([
    ['Space plays or pauses', press(' '), outside, 'play-pause'],
    ['Space on a button presses the button', press(' ', { onButton: true }), outside, null],
    ['→ steps forward', press('ArrowRight'), outside, 'step-forward'],
    ['← steps back', press('ArrowLeft'), outside, 'step-back'],
    ['Home goes to the start', press('Home'), outside, 'to-start'],
    ['End goes to the end', press('End'), outside, 'to-end'],
    ['other keys are the browser’s', press('x'), outside, null],
    ['typing is not a key of the page', press(' ', { inField: true }), outside, null],
    ['a shortcut is not a key of the page', press('ArrowRight', { modified: true }), outside, null],
    ['a tab list keeps its arrows', press('ArrowRight', { inTablist: true }), outside, null],
    ['a tab list keeps Home', press('Home', { inTablist: true }), lesson, null],
    ['a tab list leaves Space to the page', press(' ', { inTablist: true }), outside, 'play-pause'],
    ['lesson keys are for lessons', press('PageDown'), outside, null],
    ['V is for lessons only', press('v'), outside, null],
    ['PageDown: next step', press('PageDown'), lesson, 'next-step'],
    ['PageUp: previous step', press('PageUp'), lesson, 'previous-step'],
    ['→ in a lesson steps through the run', press('ArrowRight'), lesson, 'step-forward'],
    ['→ presenting: next step', press('ArrowRight'), presenting, 'next-step'],
    ['↓ presenting: next step', press('ArrowDown'), presenting, 'next-step'],
    ['← presenting: previous step', press('ArrowLeft'), presenting, 'previous-step'],
    ['↑ presenting: previous step', press('ArrowUp'), presenting, 'previous-step'],
    ['↓ not presenting: the browser scrolls', press('ArrowDown'), lesson, null],
    ['P: presenter mode', press('p'), lesson, 'toggle-present'],
    ['P with Shift too', press('P'), lesson, 'toggle-present'],
    ['B blanks', press('b'), lesson, 'toggle-blank'],
    ['. blanks (a clicker’s key)', press('.'), presenting, 'toggle-blank'],
    ['R replays', press('r'), lesson, 'replay'],
    ['V shows every lane', press('v'), lesson, 'toggle-all-lanes'],
    ['the audience does not move the steps', press('PageDown'), audience, null],
    ['the audience’s → steps through the run', press('ArrowRight'), audience, 'step-forward'],
    ['the audience has no presenter mode key', press('p'), audience, null],
    ['the audience can blank', press('b'), audience, 'toggle-blank'],
    ['the audience can replay', press('r'), audience, 'replay'],
    ['blank needs a lesson that moves or presents', press('b'), { moves: false, present: false }, null],
  ])('%s', (_, key, place, want) => {
    expect(keyAction(key, place)).toBe(want);
  });
});

/** Fakes that log what the keys asked of them. */
function targets(present = false): KeyTargets & { log: string[] } {
  const log: string[] = [];
  const lesson = { slug: 'chunks' } as NonNullable<KeyTargets['guide']['lesson']>;
  return {
    log,
    guide: {
      lesson,
      step: 2,
      present,
      next: () => (log.push('next'), true),
      previous: () => (log.push('previous'), true),
      show: (l, step) => void log.push(`show ${l.slug} ${step}`),
      toggleBlank: () => void log.push('blank'),
      replay: () => void log.push('replay'),
    },
    studio: { showAll: false },
    player: { duration: 1234, toggle: () => void log.push('toggle'), step: (d) => void log.push(`step ${d}`), seek: (ms) => void log.push(`seek ${ms}`) },
  };
}

describe('perform', () => {
  test.each<[KeyAction, string[]]>([
    ['next-step', ['next']],
    ['previous-step', ['previous']],
    ['toggle-blank', ['blank']],
    ['replay', ['replay']],
    ['play-pause', ['toggle']],
    ['step-forward', ['step 1']],
    ['step-back', ['step -1']],
    ['to-start', ['seek 0']],
    ['to-end', ['seek 1234']],
  ])('%s', (action, want) => {
    const t = targets();
    perform(action, t);
    expect(t.log).toEqual(want);
  });

  test('entering presenter mode shows the step again (which tells the audience)', () => {
    const t = targets(false);
    perform('toggle-present', t);
    expect(t.guide.present).toBe(true);
    expect(t.log).toEqual(['show chunks 2']);
  });

  test('leaving presenter mode does not', () => {
    const t = targets(true);
    perform('toggle-present', t);
    expect(t.guide.present).toBe(false);
    expect(t.log).toEqual([]);
  });

  test('V toggles every lane', () => {
    const t = targets();
    perform('toggle-all-lanes', t);
    expect(t.studio.showAll).toBe(true);
    perform('toggle-all-lanes', t);
    expect(t.studio.showAll).toBe(false);
  });
});
