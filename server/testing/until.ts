/**
 * Polls `check` every few ms until it holds; after `timeoutMs` fails saying what it waited for
 * (`what`, or what `what()` reports about the state then). For tests over real sockets, where
 * the server's side of an event lands a moment after the client's.
 */
export async function until(check: () => boolean | Promise<boolean>, what: string | (() => unknown), timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : JSON.stringify(await what())}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
