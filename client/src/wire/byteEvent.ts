import type { TapEvent, TapRead, TapWrite } from '../../../shared/tap.ts';
import type { ByteEvent, ByteEventJson } from './types.ts';

/** Base64 to bytes, with `atob` (browsers and Node ≥ 16). */
export function decodeBase64(base64: string): Uint8Array {
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Bytes to base64, in slices so large events do not overflow the argument list. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** One stored event; throws on a direction other than `up` / `down`, which would corrupt offsets. */
export function byteEventFromJson(json: ByteEventJson): ByteEvent {
  if (json.dir !== 'up' && json.dir !== 'down') throw new Error(`byte event: bad direction ${JSON.stringify(json.dir)}`);
  const event: ByteEvent = { t: json.t, dir: json.dir, bytes: decodeBase64(json.data) };
  if (json.parts) event.parts = json.parts;
  return event;
}

/** For fixtures and recordings: `JSON.stringify(events.map(byteEventToJson))`. */
export function byteEventToJson(event: ByteEvent): ByteEventJson {
  const json: ByteEventJson = { t: event.t, dir: event.dir, data: encodeBase64(event.bytes) };
  if (event.parts) json.parts = event.parts;
  return json;
}

/** One tap read (client → server, `up`) or write (server → client, `down`). */
export function byteEventFromTap(event: TapRead | TapWrite): ByteEvent {
  if (event.type === 'read') return { t: event.t, dir: 'up', bytes: decodeBase64(event.data) };
  return { t: event.t, dir: 'down', bytes: decodeBase64(event.data), parts: event.parts };
}

/** The byte events of connection `conn`, in tap order (the order to push them in). */
export function byteEventsFromTap(events: Iterable<TapEvent>, conn: number): ByteEvent[] {
  const out: ByteEvent[] = [];
  for (const e of events) {
    if ((e.type === 'read' || e.type === 'write') && e.conn === conn) out.push(byteEventFromTap(e));
  }
  return out;
}
