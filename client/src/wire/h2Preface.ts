/** The 24 bytes an HTTP/2 client starts with (RFC 9113 §3.4): apart, so telling a connection's protocol does not load the HTTP/2 dissector. */
export const CLIENT_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
