/**
 * HTTP/2 frame type and flag values (RFC 9113 §6, §11.2), for the page's dissector and the
 * server's tap and TLS watchers alike. What they mean, for the page, is in `client/src/wire/h2Names.ts`.
 */

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Flag bits; one value may mean different flags on different frame types (0x1 is END_STREAM on DATA, ACK on PING). */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;
