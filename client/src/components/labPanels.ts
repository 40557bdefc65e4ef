/**
 * The labs' panels, each loaded the first time a page shows it: most visits open none, and
 * together they are a tenth of the page's script (the first visit's budget is 100 KB gzipped).
 */
import type { Component } from 'svelte';
import type { LabId } from '../lessons/lesson.ts';

const loaders: Record<LabId, () => Promise<{ default: Component }>> = {
  lb: () => import('./LoadBalancerLab.svelte'),
  faults: () => import('./FaultsLab.svelte'),
  http: () => import('./HttpLab.svelte'),
  cors: () => import('./CrossOriginLab.svelte'),
  limits: () => import('./ConnectionLimitLab.svelte'),
  h2: () => import('./Http2Lab.svelte'),
  duplex: () => import('./DuplexLab.svelte'),
};

/** The order panels stand in, top to bottom. */
export const labOrder = Object.keys(loaders) as LabId[];

const loaded = new Map<LabId, Promise<Component>>();

/** The panel of `lab`, loaded once (the same promise each time, so a redraw does not wait again). */
export function labPanel(lab: LabId): Promise<Component> {
  let panel = loaded.get(lab);
  if (!panel) {
    panel = loaders[lab]().then((module) => module.default);
    loaded.set(lab, panel);
  }
  return panel;
}
