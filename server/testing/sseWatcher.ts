import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** An open event stream whose events collect as they come (tests of the follow channel and the broadcast). */
export interface SseWatcher {
  status: number;
  events: EventSourceMessage[];
  /** Resolves once `n` events have come (rejects after `timeoutMs`, saying how many did). */
  next(n: number, timeoutMs?: number): Promise<void>;
  /** Whether the server ended the stream (or it broke). */
  readonly ended: boolean;
  close(): void;
}

/** Opens `GET url` with `headers` (e.g. `Last-Event-ID`) and collects its events. */
export async function sseWatcher(url: string, headers: Record<string, string> = {}): Promise<SseWatcher> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const events: EventSourceMessage[] = [];
  const waiters: (() => void)[] = [];
  let ended = false;
  const parser = createParser({
    onEvent: (e) => {
      events.push(e);
      waiters.splice(0).forEach((w) => w());
    },
  });
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body!) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    } catch {
      // aborted, or the server went away
    }
    ended = true;
    waiters.splice(0).forEach((w) => w());
  })();
  return {
    status: response.status,
    events,
    get ended() {
      return ended;
    },
    async next(n, timeoutMs = 10_000) {
      const deadline = performance.now() + timeoutMs;
      while (events.length < n) {
        if (performance.now() > deadline) throw new Error(`${events.length} events of ${n} came within ${timeoutMs} ms from ${url}`);
        if (ended) throw new Error(`the stream from ${url} ended after ${events.length} events of ${n}`);
        await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), new Promise((resolve) => setTimeout(resolve, 50))]);
      }
    },
    close: () => abort.abort(),
  };
}
