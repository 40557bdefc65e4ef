/** Queries over the events a tap reader collected: by type, by connection, and the bytes they carry. */
import { expect } from 'vitest';
import type { TapClose, TapEvent, TapRead, TapWrite } from '../../shared/tap.ts';

export const ofType =
  <T extends TapEvent['type']>(type: T) =>
  (event: TapEvent): event is Extract<TapEvent, { type: T }> =>
    event.type === type;

export function onConn<T extends TapEvent>(events: readonly TapEvent[], type: T['type'], conn: number): T[] {
  return events.filter((e) => e.type === type && 'conn' in e && e.conn === conn) as T[];
}

/** The one connection a run's request arrived on. */
export function connOf(events: readonly TapEvent[], pathPrefix: string): number {
  const requests = events.filter(ofType('request')).filter((e) => e.path.startsWith(pathPrefix));
  expect(requests, `one request for ${pathPrefix}`).toHaveLength(1);
  return requests[0]!.conn;
}

export const decode = (data: string): Buffer => Buffer.from(data, 'base64');
export const readBytes = (events: readonly TapEvent[], conn: number): Buffer => Buffer.concat(onConn<TapRead>(events, 'read', conn).map((e) => decode(e.data)));
export const writeBytes = (events: readonly TapEvent[], conn: number): Buffer =>
  Buffer.concat(onConn<TapWrite>(events, 'write', conn).map((e) => decode(e.data)));
export const closed = (reader: { events: readonly TapEvent[] }, conn: number) => (): boolean => onConn<TapClose>(reader.events, 'close', conn).length > 0;

/** Splits a write's bytes into the buffers that were written together. */
export function partsOf(write: TapWrite): Buffer[] {
  const bytes = decode(write.data);
  const parts: Buffer[] = [];
  let at = 0;
  for (const size of write.parts) {
    parts.push(bytes.subarray(at, at + size));
    at += size;
  }
  return parts;
}
