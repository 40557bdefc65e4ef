/**
 * The labs' controls in one place: what a lab panel's buttons do and what a lesson step can do
 * without a click (`actions:` and `kill:` in its step block), so a class can run on a clicker.
 * State that lives on the server (the balancer's) reaches the panels over their own event
 * streams; what only this page knows (is it signed in?) lives here. Every call acts on this
 * browser's own lab state on the server (its learner cookie, set when the page loaded): a kill
 * here cuts this browser's connections, not the class's.
 */
import type { BalancerMode, BalancerState, LogMode } from '../../../shared/loadBalancer.ts';
import type { Run } from './Run.svelte.ts';
import { laneSpec } from './lanes.ts';
import type { LabAction } from '../lessons/lesson.ts';

export const labState = $state({
  /** The HTTP features lab's session cookie is live in this browser. */
  signedIn: false,
  /** Bumped to start the sticky-session simulation (its panel watches it). */
  simulations: 0,
  /** Set to `simulations` once that simulation has played to its end (or failed): a prediction waits for it. */
  simulationsPlayed: 0,
  error: null as string | null,
});

async function call(method: 'GET' | 'POST' | 'PUT', path: string, body?: object): Promise<unknown> {
  const response = await fetch(path, { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  if (!response.ok) {
    const detail = ((await response.json().catch(() => ({}))) as { detail?: string }).detail;
    labState.error = detail ?? `${method} ${path}: HTTP ${response.status}`;
    throw new Error(labState.error);
  }
  labState.error = null;
  return response.status === 204 ? null : response.json();
}

export async function refreshSession(): Promise<void> {
  labState.signedIn = ((await call('GET', '/api/labs/http/session')) as { signedIn: boolean }).signedIn;
}

export async function sign(action: 'login' | 'logout'): Promise<void> {
  await call('POST', `/api/labs/http/${action}`);
  labState.signedIn = action === 'login';
}

export async function setBalancerMode(mode: BalancerMode): Promise<void> {
  await call('PUT', '/api/labs/lb/mode', { mode });
}

export async function setLogMode(log: LogMode): Promise<void> {
  await call('PUT', '/api/labs/lb/log', { log });
}

export async function setInstance(id: string, action: 'kill' | 'revive'): Promise<void> {
  await call('POST', `/api/labs/lb/instances/${id}/${action}`);
}

export async function reviveAll(): Promise<void> {
  const state = (await call('GET', '/api/labs/lb')) as BalancerState;
  await Promise.all(state.instances.filter((i) => !i.alive).map((i) => setInstance(i.id, 'revive')));
}

export async function setCors(allowSecondOrigin: boolean): Promise<{ allowSecondOrigin: boolean; secondOrigin: string | null }> {
  return (await call('PUT', '/api/labs/http/cors', { allowSecondOrigin })) as { allowSecondOrigin: boolean; secondOrigin: string | null };
}

export async function setOriginCheck(enabled: boolean): Promise<boolean> {
  return ((await call('PUT', '/api/labs/http/ws-origin-check', { enabled })) as { enabled: boolean }).enabled;
}

/** A cheap request each lab answers when it runs on this server. */
const labProbes: Partial<Record<string, string>> = {
  lb: '/api/labs/lb',
  http: '/api/labs/http/session',
  cors: '/api/labs/http/cors',
  faults: '/api/labs/faults/sse?text=ok&tps=1000&ttft=0',
};

/** Whether `lab` runs on this server (a lab without a probe is part of the page itself). */
export async function labRuns(lab: string): Promise<boolean> {
  const probe = labProbes[lab];
  if (!probe) return true;
  try {
    const response = await fetch(probe);
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Does one lesson step action. */
export async function perform(action: LabAction): Promise<void> {
  switch (action) {
    case 'login':
    case 'logout':
      return sign(action);
    case 'round-robin':
    case 'sticky':
      return setBalancerMode(action);
    case 'revive-all':
      return reviveAll();
    case 'log-own':
    case 'log-shared':
      return setLogMode(action === 'log-own' ? 'own' : 'shared');
    case 'simulate':
      labState.simulations++;
      return;
    case 'cors-allow':
    case 'cors-deny':
      return void (await setCors(action === 'cors-allow'));
    case 'origin-check-on':
    case 'origin-check-off':
      return void (await setOriginCheck(action === 'origin-check-on'));
  }
}

/** The instance each of the run's load-balanced lanes is on now (its latest answer's). */
export function servingInstances(run: Run): string[] {
  const ids = run.lanes.filter((lane) => laneSpec(lane.id).lab === 'lb').map((lane) => lane.instances().at(-1));
  return [...new Set(ids.filter((id) => id !== undefined))];
}
