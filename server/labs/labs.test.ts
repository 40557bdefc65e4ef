import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { listen, type Listening } from '../testing/listen.ts';
import { startLabs, labSocketPath, type Labs } from './labs.ts';

let labs: Labs;
let server: Listening;
beforeAll(async () => {
  labs = await startLabs();
  server = await listen(labs.options);
});
afterAll(async () => {
  await server.close();
  await labs.close();
});

/** Opens a WebSocket from a page on `origin`; resolves with the handshake's outcome. */
function handshake(path: string, origin: string): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}${path}`, { origin });
    ws.on('open', () => {
      ws.terminate();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => {});
  });
}

describe('the lab WebSocket (cross-site WebSocket hijacking)', () => {
  it('refuses a foreign origin while the Origin check is on, and lets it in when it is off', async () => {
    expect(await handshake(labSocketPath, 'http://evil.example')).toBe(403);
    labs.httpLab.wsOriginCheck = false;
    expect(await handshake(labSocketPath, 'http://evil.example')).toBe('open');
    labs.httpLab.wsOriginCheck = true;
    expect(await handshake(labSocketPath, 'http://evil.example')).toBe(403);
  });

  it('streams like the main WebSocket, and the main one keeps its own check', async () => {
    const texts: string[] = [];
    await new Promise<void>((resolve) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}${labSocketPath}`);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'start', text: 'lab socket', tps: 1000, ttft: 0 })));
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; text?: string };
        if (message.type === 'token') texts.push(message.text ?? '');
      });
      ws.on('close', () => resolve());
    });
    expect(texts.join('')).toBe('lab socket');
    labs.httpLab.wsOriginCheck = false;
    expect(await handshake('/api/stream/ws', 'http://evil.example')).toBe(403);
    labs.httpLab.wsOriginCheck = true;
  });
});
