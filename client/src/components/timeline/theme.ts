/**
 * The theme's version: a number that changes when the page's colours may have (the theme toggle
 * sets `data-theme` on the root; the system may switch between light and dark), so a canvas reads
 * its CSS colours once per theme, not once per frame. Reading `themeVersion.current` in a
 * `$derived` or `$effect` subscribes to it.
 */
import { createSubscriber } from 'svelte/reactivity';

let version = 0;
const subscribe = createSubscriber((update) => {
  if (typeof document === 'undefined') return;
  const changed = () => {
    version++;
    update();
  };
  const observer = new MutationObserver(changed);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme', 'class'] });
  const scheme = matchMedia('(prefers-color-scheme: dark)');
  scheme.addEventListener('change', changed);
  return () => {
    observer.disconnect();
    scheme.removeEventListener('change', changed);
  };
});

export const themeVersion = {
  get current(): number {
    subscribe();
    return version;
  },
};
