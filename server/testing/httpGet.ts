import http from 'node:http';
import type { IncomingMessage } from 'node:http';

/** A whole GET with node:http; `reusedSocket` tells whether a keep-alive agent reused a connection. */
export function httpGet(url: string, options: http.RequestOptions): Promise<{ res: IncomingMessage; body: Buffer; reusedSocket: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ res, body: Buffer.concat(chunks), reusedSocket: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
