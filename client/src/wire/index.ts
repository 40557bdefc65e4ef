/** The wire dissectors' public API: bytes of one TCP connection in, annotated leaf segments out. */
export type {
  ByteEvent,
  ByteEventJson,
  Direction,
  Exchange,
  HttpHead,
  HttpHeader,
  Layer,
  Part,
  RequestHead,
  ResponseHead,
  Segment,
  SegmentKind,
  WireSummary,
} from './types.ts';
export { ConnectionDissector, dissect, dissectConnection } from './dissect.ts';
export { byteEventFromJson, byteEventFromTap, byteEventToJson, byteEventsFromTap, decodeBase64, encodeBase64 } from './byteEvent.ts';
export { escapeBytes, escapeChars, hexBytes, hexDump } from './escape.ts';
export type { EscapedChar } from './escape.ts';
export { headerValue } from './httpHead.ts';
export { addToSummary, emptySummary, summarize } from './summary.ts';
export { unmask } from './websocket.ts';
