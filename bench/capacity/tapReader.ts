/**
 * A subscriber to Streamscope's `/api/tap` inside the load generator: a reader that keeps up
 * (counts the bytes, notes the events the server dropped for it), or a slow one that reads the
 * head and then stops reading, so the server has to cope with a reader that never drains.
 */
import http from 'node:http';

export interface TapReader {
  bytes: number;
  /** Events the server reported as dropped for this reader. */
  dropped: number;
  close(): void;
}

const droppedEvent = /"type":"dropped","t":[^,]*,"count":(\d+)/g;

/** Resolves once the tap's response head is in: from then on the server taps `run`. */
export function openTap(port: number, run: string, slow: boolean): Promise<TapReader> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/api/tap?run=${encodeURIComponent(run)}`, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET /api/tap answered HTTP ${res.statusCode}.`));
      const reader: TapReader = { bytes: 0, dropped: 0, close: () => req.destroy() };
      if (slow) res.pause();
      else {
        res.on('data', (chunk: Buffer) => {
          reader.bytes += chunk.length;
          // Event data is base64 and JSON, so the marker cannot appear inside a payload.
          if (chunk.includes('"type":"dropped"')) for (const match of chunk.toString('latin1').matchAll(droppedEvent)) reader.dropped += Number(match[1]);
        });
      }
      res.on('error', () => {});
      resolve(reader);
    });
    req.on('error', reject);
  });
}
