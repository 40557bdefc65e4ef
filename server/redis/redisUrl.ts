/** How Streamscope names a Redis server in the page and the terminal: never with its password. */

/** The URL without a user or password (a screen may be projected). */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password && !parsed.username) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** The error a Redis server's first command failed with, worded for the one who started Streamscope. */
export function unreachable(url: string, error: unknown): Error {
  return new Error(`Redis at ${displayUrl(url)} does not answer: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
