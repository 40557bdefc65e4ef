import type { inspectMethods } from './inspectMethods.ts';

/**
 * What the "Inspect a URL" panel asks the server to open (`GET /api/inspect/sse`): the URL, the
 * method, a body and headers, so a POST like an LLM API's can be replayed. Kept out of the run's
 * settings: a recording never carries the headers typed here (they may hold a key).
 */
export class InspectTarget {
  url = $state('');
  method = $state<(typeof inspectMethods)[number]>('GET');
  body = $state('');
  /** One `Name: value` a line. */
  headers = $state('');
  /** Follow redirects to other hosts too (`redirects=any`). */
  anyRedirect = $state(false);
  /** The server's refusal (the problem's detail), or the failure, of the last inspection. */
  error = $state<string | null>(null);

  /** The query of `/api/inspect/sse` for this target and a run. */
  query(run: string): URLSearchParams {
    const query = new URLSearchParams({ url: this.url.trim() });
    if (this.method !== 'GET') query.set('method', this.method);
    if (this.body !== '' && this.method !== 'GET' && this.method !== 'DELETE') query.set('body', this.body);
    for (const line of this.headers.split(/\r?\n/)) if (line.trim() !== '') query.append('header', line.trim());
    if (this.anyRedirect) query.set('redirects', 'any');
    query.set('run', run);
    return query;
  }
}

/** The page's one target (the lane client reads it when a run starts). */
export const inspectTarget = new InspectTarget();
