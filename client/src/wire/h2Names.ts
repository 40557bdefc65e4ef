/** Names from the HTTP/2 registries (RFC 9113 §11): frame types, flags, settings, error codes. */

import { Flag, FrameType } from '../../../shared/h2Registry.ts';

export { FrameType };

const frameTypes: Record<number, { name: string; meaning: string }> = {
  0x0: { name: 'DATA', meaning: 'carries a piece of a request or response body (RFC 9113 §6.1)' },
  0x1: { name: 'HEADERS', meaning: 'opens a stream and carries its compressed header fields (RFC 9113 §6.2)' },
  0x2: { name: 'PRIORITY', meaning: 'the deprecated way to say how important a stream is (RFC 9113 §6.3)' },
  0x3: { name: 'RST_STREAM', meaning: 'cancels one stream, leaving the connection open (RFC 9113 §6.4)' },
  0x4: { name: 'SETTINGS', meaning: 'tells the other side the limits this side works with (RFC 9113 §6.5)' },
  0x5: { name: 'PUSH_PROMISE', meaning: 'announces a response the server will push unasked (RFC 9113 §6.6)' },
  0x6: { name: 'PING', meaning: 'measures the round trip and checks the connection is alive; the answer carries ACK (RFC 9113 §6.7)' },
  0x7: { name: 'GOAWAY', meaning: 'says this side is closing the connection, and which streams it handled (RFC 9113 §6.8)' },
  0x8: { name: 'WINDOW_UPDATE', meaning: 'gives the sender credit to send more DATA: flow control (RFC 9113 §6.9)' },
  0x9: { name: 'CONTINUATION', meaning: 'carries the rest of a header block too large for one frame (RFC 9113 §6.10)' },
  0xa: { name: 'ALTSVC', meaning: 'advertises an alternative service, e.g. HTTP/3 (RFC 7838)' },
  0xc: { name: 'ORIGIN', meaning: 'lists the origins this connection may serve (RFC 8336)' },
  0x10: { name: 'PRIORITY_UPDATE', meaning: 'sets a stream’s priority the newer way (RFC 9218)' },
};

export function frameTypeName(type: number): string {
  return frameTypes[type]?.name ?? `unknown 0x${type.toString(16)}`;
}

export function frameTypeMeaning(type: number): string {
  return frameTypes[type]?.meaning ?? 'a type this dissector does not know; receivers must ignore unknown frame types (RFC 9113 §4.1, §5.5)';
}

/** The flags defined for each frame type (RFC 9113 §6). */
const flagNames: Record<number, [bit: number, name: string][]> = {
  [FrameType.DATA]: [
    [Flag.END_STREAM, 'END_STREAM'],
    [Flag.PADDED, 'PADDED'],
  ],
  [FrameType.HEADERS]: [
    [Flag.END_STREAM, 'END_STREAM'],
    [Flag.END_HEADERS, 'END_HEADERS'],
    [Flag.PADDED, 'PADDED'],
    [Flag.PRIORITY, 'PRIORITY'],
  ],
  [FrameType.SETTINGS]: [[Flag.ACK, 'ACK']],
  [FrameType.PUSH_PROMISE]: [
    [Flag.END_HEADERS, 'END_HEADERS'],
    [Flag.PADDED, 'PADDED'],
  ],
  [FrameType.PING]: [[Flag.ACK, 'ACK']],
  [FrameType.CONTINUATION]: [[Flag.END_HEADERS, 'END_HEADERS']],
};

const flagMeanings: Record<string, string> = {
  END_STREAM: 'this side has nothing more to send on the stream',
  END_HEADERS: 'the header block ends in this frame',
  PADDED: 'a pad length byte and padding surround the payload',
  PRIORITY: 'a stream dependency and weight come first',
  ACK: 'this acknowledges the other side’s frame',
};

/** `END_STREAM | END_HEADERS`, and the bits set that the type does not define. */
export function flagNamesOf(type: number, flags: number): { names: string[]; unknown: number } {
  const names: string[] = [];
  let known = 0;
  for (const [bit, name] of flagNames[type] ?? []) {
    known |= bit;
    if (flags & bit) names.push(name);
  }
  return { names, unknown: flags & ~known };
}

export function flagMeaning(name: string): string {
  return flagMeanings[name] ?? name;
}

const settings: Record<number, { name: string; meaning: string }> = {
  0x1: { name: 'HEADER_TABLE_SIZE', meaning: 'the most octets of HPACK dynamic table this side will keep to decode what it receives' },
  0x2: { name: 'ENABLE_PUSH', meaning: 'whether the server may push responses (0 = no)' },
  0x3: { name: 'MAX_CONCURRENT_STREAMS', meaning: 'how many streams the other side may have open at once' },
  0x4: { name: 'INITIAL_WINDOW_SIZE', meaning: 'how many bytes of DATA each new stream may receive before a WINDOW_UPDATE' },
  0x5: { name: 'MAX_FRAME_SIZE', meaning: 'the largest frame payload this side accepts' },
  0x6: { name: 'MAX_HEADER_LIST_SIZE', meaning: 'the largest header list this side is prepared to accept' },
  0x8: { name: 'ENABLE_CONNECT_PROTOCOL', meaning: 'whether extended CONNECT (e.g. WebSocket over HTTP/2, RFC 8441) is allowed' },
  0x9: { name: 'NO_RFC7540_PRIORITIES', meaning: 'this side does not use the old priority scheme (RFC 9218)' },
};

export function settingName(id: number): string {
  return settings[id] ? `SETTINGS_${settings[id].name}` : `unknown setting 0x${id.toString(16)}`;
}

export function settingMeaning(id: number): string {
  return settings[id]?.meaning ?? 'a setting this dissector does not know; unknown settings must be ignored';
}

export const Setting = { HEADER_TABLE_SIZE: 0x1, MAX_FRAME_SIZE: 0x5 } as const;

const errorCodes: Record<number, { name: string; meaning: string }> = {
  0x0: { name: 'NO_ERROR', meaning: 'a graceful shutdown, nothing went wrong' },
  0x1: { name: 'PROTOCOL_ERROR', meaning: 'the peer broke the protocol' },
  0x2: { name: 'INTERNAL_ERROR', meaning: 'something failed inside this side' },
  0x3: { name: 'FLOW_CONTROL_ERROR', meaning: 'the peer sent more than its flow-control window allowed' },
  0x4: { name: 'SETTINGS_TIMEOUT', meaning: 'SETTINGS went unacknowledged too long' },
  0x5: { name: 'STREAM_CLOSED', meaning: 'a frame came on a stream already half-closed' },
  0x6: { name: 'FRAME_SIZE_ERROR', meaning: 'a frame had the wrong size' },
  0x7: { name: 'REFUSED_STREAM', meaning: 'the stream was refused before any processing; it is safe to retry' },
  0x8: { name: 'CANCEL', meaning: 'the stream is no longer needed' },
  0x9: { name: 'COMPRESSION_ERROR', meaning: 'the header compression state could not be kept' },
  0xa: { name: 'CONNECT_ERROR', meaning: 'the CONNECT tunnel was reset' },
  0xb: { name: 'ENHANCE_YOUR_CALM', meaning: 'the peer is generating too much load' },
  0xc: { name: 'INADEQUATE_SECURITY', meaning: 'the TLS setup is not good enough' },
  0xd: { name: 'HTTP_1_1_REQUIRED', meaning: 'use HTTP/1.1 for this request instead' },
};

export function errorCodeName(code: number): string {
  return errorCodes[code]?.name ?? `unknown error 0x${code.toString(16)}`;
}

export function errorCodeMeaning(code: number): string {
  return errorCodes[code]?.meaning ?? 'an error code this dissector does not know (treated like INTERNAL_ERROR)';
}
