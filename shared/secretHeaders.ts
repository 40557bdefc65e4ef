/**
 * Credentials in HTTP bytes, found byte by byte so they can be masked with `*` and every length
 * kept: the server's wire tap masks them for students in classroom mode, and the page masks them
 * in an export unless asked to keep them. One home, for both.
 */
/** A range of bytes `[start, end)` within one chunk. */
export type ByteRange = readonly [start: number, end: number];

/** Finds secret bytes in one direction of one connection; sees every chunk, in order. */
export interface SecretFinder {
  scan(chunk: Uint8Array): ByteRange[];
}

/** Latin-1 text as bytes (plain bytes: the page uses these too). */
const bytesOf = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

/**
 * Header fields whose values are credentials: a student reading the tap must not learn another
 * browser's session or the presenter's token from them. `Set-Cookie` is the same secret on its
 * way in; `Proxy-Authorization` the same as `Authorization` for a proxy; `x-api-key` is how
 * Anthropic-style APIs take their key.
 */
export const secretHeaderNames = ['cookie', 'set-cookie', 'authorization', 'proxy-authorization', 'x-api-key'] as const;

/** Each field name with its colon, as lower-case bytes. */
const fields = secretHeaderNames.map((name) => bytesOf(`${name}:`));
/** A bit per field: all of them still possible. */
const allFields = (1 << fields.length) - 1;

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;

/**
 * Finds the values of secret header fields in one direction of one connection, fed chunk by
 * chunk exactly as the bytes crossed the socket: a field may be split across chunks (a head
 * sent byte by byte), and a keep-alive connection carries many heads. Returns, per chunk, the
 * ranges to mask; masking keeps every length, so chunk sizes and the page's dissectors still
 * line up.
 *
 * It does not parse HTTP: any line that starts with a secret field name is masked, in a head or
 * not. A body line that happens to look like `Cookie: …` is masked too, which only hides more.
 * Obsolete line folding (a value continued on a line that starts with a space) is followed.
 * https://www.rfc-editor.org/rfc/rfc9112#section-5
 */
export class SecretHeaderScanner implements SecretFinder {
  /** Where in the current line we are. */
  #state: 'name' | 'space' | 'value' | 'skip' = 'name';
  /** Bytes of the current line seen so far, while it may still be a secret field name. */
  #at = 0;
  /** The fields (bits) the current line may still be. */
  #candidates = allFields;
  /** The current line is a secret field (its continuation lines are secret too). */
  #secretLine = false;
  #previousLineSecret = false;

  /** The ranges of `chunk` that are secret values. */
  scan(chunk: Uint8Array): ByteRange[] {
    const ranges: ByteRange[] = [];
    let maskFrom = -1;
    const endMask = (at: number): void => {
      if (maskFrom >= 0 && at > maskFrom) ranges.push([maskFrom, at]);
      maskFrom = -1;
    };
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === LF) {
        endMask(i);
        this.#newLine();
        continue;
      }
      switch (this.#state) {
        case 'skip': {
          // Most bytes are here (bodies, uninteresting fields): jump to the next line natively.
          const next = chunk.indexOf(LF, i);
          i = (next < 0 ? chunk.length : next) - 1;
          break;
        }
        case 'name': {
          if (this.#at === 0 && this.#previousLineSecret && (byte === SP || byte === HTAB)) {
            this.#secretLine = true;
            this.#state = 'space';
            break;
          }
          // ASCII letters to lower case; the colon and '-' are unchanged by the bit.
          const lower = byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
          const at = this.#at++;
          let complete = false;
          for (let f = 0; f < fields.length; f++) {
            const field = fields[f]!;
            if (!(this.#candidates & (1 << f))) continue;
            if (field[at] !== lower) this.#candidates &= ~(1 << f);
            else if (at === field.length - 1) complete = true;
          }
          if (complete) {
            this.#secretLine = true;
            this.#state = 'space';
          } else if (this.#candidates === 0) {
            this.#state = 'skip';
          }
          break;
        }
        case 'space':
          if (byte === SP || byte === HTAB || byte === CR) break;
          this.#state = 'value';
          maskFrom = i;
          break;
        case 'value':
          // A CR ends the visible value (CRLF); the bytes between a stray CR and LF stay masked.
          if (byte === CR) endMask(i);
          else if (maskFrom < 0) maskFrom = i;
          break;
      }
    }
    endMask(chunk.length);
    return ranges;
  }

  #newLine(): void {
    this.#previousLineSecret = this.#secretLine;
    this.#secretLine = false;
    this.#at = 0;
    this.#candidates = allFields;
    this.#state = 'name';
  }
}

const headerParam = bytesOf('header=');
const secretNames = new Set<string>(secretHeaderNames);

/**
 * Finds the values of secret headers that ride in a query string: `/api/inspect/sse` takes the
 * headers of the request it replays as `header=Authorization%3A%20Bearer%20…` parameters, so a
 * request line can carry a key. The value after a secret name's colon (`:` or `%3A`) is masked up
 * to the end of the parameter (`&`, a space, `#` or the end of the line); the name stays readable.
 */
export class SecretQueryScanner implements SecretFinder {
  #state: 'scan' | 'name' | 'value' | 'skip' = 'scan';
  /** Bytes of `header=` matched so far. */
  #matched = 0;
  /** The parameter's value so far, while it may still be a header name. */
  #name = '';

  scan(chunk: Uint8Array): ByteRange[] {
    const ranges: ByteRange[] = [];
    let maskFrom = -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      const ends = byte === 0x26 || byte === SP || byte === 0x23 || byte === CR || byte === LF;
      if (this.#state === 'value') {
        if (!ends) {
          if (maskFrom < 0) maskFrom = i;
          continue;
        }
        if (maskFrom >= 0) ranges.push([maskFrom, i]);
        maskFrom = -1;
        this.#state = 'scan';
      } else if (this.#state === 'skip' || this.#state === 'name') {
        if (ends) this.#state = 'scan';
        else if (this.#state === 'name') {
          this.#name += String.fromCharCode(byte);
          const colon = /(%3a|:)$/i.exec(this.#name);
          if (colon) {
            const name = safeDecode(this.#name.slice(0, -colon[0].length)).trim().toLowerCase();
            this.#state = secretNames.has(name) ? 'value' : 'skip';
          } else if (this.#name.length > 64) this.#state = 'skip';
          continue;
        }
      }
      if (this.#state !== 'scan') continue;
      // Matching `header=` (a mismatch may start a new match).
      if (byte === headerParam[this.#matched]) this.#matched++;
      else this.#matched = byte === headerParam[0] ? 1 : 0;
      if (this.#matched === headerParam.length) {
        this.#matched = 0;
        this.#state = 'name';
        this.#name = '';
      }
    }
    if (maskFrom >= 0) ranges.push([maskFrom, chunk.length]);
    return ranges;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Both finders' ranges, for one direction of one connection. */
export function allSecrets(...finders: SecretFinder[]): SecretFinder {
  return { scan: (chunk) => finders.flatMap((f) => f.scan(chunk)) };
}
