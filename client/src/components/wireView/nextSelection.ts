/** Keyboard movement through the byte view's segments. */

/**
 * The segment a key selects among `count` segments, or undefined for a key that does not move.
 * With nothing selected, the arrows start at `firstInView()`.
 */
export function nextSelection(key: string, selection: number | null, count: number, firstInView: () => number): number | undefined {
  switch (key) {
    case 'ArrowDown':
      return selection === null ? firstInView() : Math.min(count - 1, selection + 1);
    case 'ArrowUp':
      return selection === null ? firstInView() : Math.max(0, selection - 1);
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return undefined;
  }
}
