/**
 * The response header that names the server instance which answered (the load-balancer lab
 * runs several: a, b, c). Written by the server on every response and WebSocket handshake,
 * read by the page to show which instance served each lane.
 */
export const instanceHeader = 'X-Streamscope-Instance';
