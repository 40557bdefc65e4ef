/**
 * HAR out and in, in the real browser. In: Chromium itself writes the HAR (Playwright's
 * `recordHar`) of a small page that streams over EventSource, fetch and a WebSocket from a test
 * server of this file's own; the Streamscope page opens it. Out: a real run in the page is
 * downloaded as a HAR, checked against the HAR 1.2 schema, and opened again.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { WebSocketServer } from 'ws';
import harValidator from '@har-sdk/validator';
import type { Har } from 'har-format';
import { launch, openPage, replySource, servePage } from './browser.ts';
import type { Listening } from '../../server/testing/listen.ts';
import type { HarEntry } from '../../client/src/run/harExport.ts';
import { harNote } from '../../client/src/run/harImport.ts';

const { HarValidator } = harValidator;
const dir = mkdtempSync(path.join(tmpdir(), 'streamscope-har-'));

/** The page whose traffic Chromium records: one reply over each transport, each closed once the server is done. */
const streamingPage = `<!doctype html><meta charset="utf-8"><title>three streams</title><pre id="log"></pre>
<script>
  const log = (line) => (document.getElementById('log').textContent += line + '\\n');
  const es = new EventSource('/events');
  es.onmessage = (e) => log('es ' + e.data);
  // The server ended the stream; EventSource would reconnect, the page stops it instead.
  es.onerror = () => { es.close(); log('es done'); };
  (async () => {
    const response = await fetch('/v1/chat', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' }, body: '{"stream":true}' });
    const reader = response.body.getReader();
    for (;;) { const { done } = await reader.read(); if (done) break; }
    log('fetch done');
  })();
  const ws = new WebSocket('ws://' + location.host + '/socket');
  ws.onopen = () => ws.send('{"type":"start"}');
  ws.onmessage = (e) => log('ws ' + e.data);
  ws.onclose = () => log('ws done');
</script>`;

const sseWords = ['Hello', ' from', ' EventSource'];
const fetchWords = ['Hi', ' from', ' fetch'];
const wsWords = ['Hey', ' from', ' a', ' WebSocket'];
const chunk = (content: string) => JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] });

/** Writes `lines` 40 ms apart, then ends. */
function trickle(write: (line: string) => void, lines: string[], end: () => void): void {
  let i = 0;
  const timer = setInterval(() => {
    if (i < lines.length) write(lines[i++]!);
    else {
      clearInterval(timer);
      end();
    }
  }, 40);
}

function startStreamingServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(streamingPage);
    }
    if (req.url === '/events' || req.url === '/v1/chat') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'set-cookie': 'session=set-cookie-secret; HttpOnly' });
      const lines =
        req.url === '/events' ? sseWords.map((w, i) => `id: ${i}\ndata: ${w}\n\n`) : [...fetchWords.map((w) => `data: ${chunk(w)}\n\n`), 'data: [DONE]\n\n'];
      req.resume();
      return trickle(
        (line) => res.write(line),
        lines,
        () => res.end(),
      );
    }
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server, path: '/socket' });
  wss.on('connection', (socket) =>
    socket.once('message', () =>
      trickle(
        (line) => socket.send(line),
        wsWords.map((text, index) => JSON.stringify({ type: 'token', index, text })),
        () => socket.close(1000, 'done'),
      ),
    ),
  );
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

/** Chromium's own HAR of the streaming page: what Network-panel users and Playwright users get. */
async function recordChromiumHar(browser: Browser, url: string): Promise<string> {
  const file = path.join(dir, 'recorded.har');
  const context = await browser.newContext({ recordHar: { path: file } });
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => ['es done', 'fetch done', 'ws done'].every((l) => document.getElementById('log')!.textContent!.includes(l)), null, {
    timeout: 15_000,
  });
  await context.close();
  return file;
}

let server: Listening;
let streaming: { server: Server; url: string };
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  [server, browser, streaming] = await Promise.all([servePage(), launch(), startStreamingServer()]);
  page = await openPage(browser, errors);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  streaming?.server.closeAllConnections();
  await new Promise((resolve) => streaming?.server.close(resolve));
});

const laneOf = (id: string): Locator => page.locator(`.lane[data-lane="${id}"]`);

/** Opens a file the way a person does: the Import… button, then the file picker. */
async function importFile(file: string): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import…' }).click();
  await (await chooser).setFiles(file);
}

describe('a HAR that Chromium wrote', () => {
  let har: Har;
  let file: string;

  it('holds the event streams as whole bodies and the WebSocket messages with their times', async () => {
    file = await recordChromiumHar(browser, streaming.url);
    har = JSON.parse(readFileSync(file, 'utf8')) as Har;
    const entries = har.log.entries as HarEntry[];
    const byPath = (p: string) => entries.find((e) => new URL(e.request.url).pathname === p)!;
    // What Chromium writes: `_resourceType` per entry; an event stream's body whole in
    // content.text (no chunk boundaries, no per-event times, no `_eventSourceMessages`);
    // `_webSocketMessages` with type, time, opcode and data (Playwright writes the time in ms).
    expect(byPath('/events')._resourceType).toBe('eventsource');
    expect(byPath('/events').response.content.text).toBe(sseWords.map((w, i) => `id: ${i}\ndata: ${w}\n\n`).join(''));
    expect(byPath('/events')).not.toHaveProperty('_eventSourceMessages');
    expect(byPath('/v1/chat')._resourceType).toBe('fetch');
    expect(byPath('/v1/chat').response.content.mimeType).toBe('text/event-stream');
    const ws = byPath('/socket');
    expect(ws._resourceType).toBe('websocket');
    expect(ws.response.status).toBe(101);
    expect(ws._webSocketMessages!.map((m) => [m.type, m.opcode])).toEqual([['send', 1], ...wsWords.map(() => ['receive', 1])]);
    expect(ws._webSocketMessages![0]!.time).toBeGreaterThan(Date.parse(ws.startedDateTime) - 1000);
  });

  it('opens in the page as lanes that show the event texts and say what a HAR cannot keep', async () => {
    await page.goto(`${server.url}/`);
    await importFile(file);
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Opened recorded.har' }).textContent())
      .toBe('Opened recorded.har: 3 streams as lanes; 1 other request ignored (not an event stream or a WebSocket).');
    const lanes = await page.locator('.lane').evaluateAll((els) => els.map((el) => el.getAttribute('data-lane')));
    expect(lanes).toEqual(['sse', 'ws', 'openai']);
    await expect
      .poll(() => laneOf('sse').getByRole('heading').textContent())
      .toMatch(/^EventSource from recorded\.har GET http:\/\/127\.0\.0\.1:\d+\/events · 3 events$/);
    expect(await laneOf('openai').getByRole('heading').textContent()).toMatch(/^fetch stream from recorded\.har POST .*\/v1\/chat · 4 events$/);
    expect(await laneOf('ws').getByRole('heading').textContent()).toMatch(/^WebSocket from recorded\.har GET ws:.*\/socket · 5 WebSocket messages$/);
    for (const id of ['sse', 'ws', 'openai']) {
      const note = laneOf(id).getByTestId('origin-note');
      expect(await note.isVisible()).toBe(true);
      expect(await note.textContent()).toContain(harNote);
    }
    expect(await replySource(laneOf('sse'))).toBe(sseWords.join(''));
    expect(await replySource(laneOf('openai'))).toBe(fetchWords.join(''));
    expect(await replySource(laneOf('ws'))).toBe(wsWords.join(''));
    // The rebuilt bytes are in the byte view: the status line the HAR kept.
    expect(await laneOf('sse').locator('.panel').textContent()).toContain('HTTP/1.1 200 OK');
    // The lab panels of the lanes' borrowed places do not show.
    expect(await page.locator('section.lab').count()).toBe(0);
    if (process.env.HAR_SCREENSHOT) await page.screenshot({ path: process.env.HAR_SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
  });

  it('says what is wrong with a file that is not a HAR, and keeps the page working', async () => {
    const bad = path.join(dir, 'broken.har');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, JSON.stringify({ log: { version: '1.2', entries: [{ request: {} }] } }));
    await importFile(bad);
    await expect.poll(() => page.getByRole('alert').first().textContent()).toBe('Entry 1 of the HAR has no request URL, response or startedDateTime.');
    writeFileSync(bad, '{ not json');
    await importFile(bad);
    await expect.poll(() => page.getByRole('alert').first().textContent()).toMatch(/^Could not read broken\.har: /);
    // The lanes opened before are still there.
    expect(await laneOf('sse').isVisible()).toBe(true);
    expect(errors).toEqual([]);
  });
});

describe('a HAR downloaded from a run', () => {
  const text = 'Streams, on the wire: 👋🏽 done.';

  async function downloadHar(): Promise<Har> {
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download HAR' }).click();
    const saved = path.join(dir, (await download).suggestedFilename());
    await (await download).saveAs(saved);
    expect(saved).toMatch(/\.har$/);
    return JSON.parse(readFileSync(saved, 'utf8')) as Har;
  }

  it('is a valid HAR 1.2 with an entry per request, the WebSocket messages and SSE events, and the cookie masked', async () => {
    await page.context().addCookies([{ name: 'session', value: 'cookie-secret', url: server.url }]);
    await page.goto(`${server.url}/?text=${encodeURIComponent(text)}&tps=200&ttft=0&jitter=0&lanes=sse,ws,openai&start=1`);
    for (const id of ['sse', 'ws', 'openai'])
      await expect.poll(() => laneOf(id).locator('.bubble').getAttribute('data-status'), { timeout: 20_000 }).toBe('done');
    const button = page.getByRole('button', { name: 'Download HAR' });
    await expect.poll(() => button.isEnabled(), { timeout: 10_000 }).toBe(true);
    const secrets = page.getByRole('checkbox', { name: 'include secrets in exports' });
    expect(await secrets.isChecked()).toBe(false);
    // Both are reached with Tab, right after Export.
    await page.getByRole('button', { name: 'Export' }).focus();
    await page.keyboard.press('Tab');
    expect(await button.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Tab');
    expect(await secrets.evaluate((el) => el === document.activeElement)).toBe(true);

    const har = await downloadHar();
    expect(await new HarValidator().verify(har as never)).toEqual([]);
    const entries = har.log.entries as HarEntry[];
    expect(entries.map((e) => e._lane).sort()).toEqual(['openai', 'sse', 'ws']);
    const entry = (lane: string) => entries.find((e) => e._lane === lane)!;
    expect(entry('sse')._resourceType).toBe('eventsource');
    expect(entry('openai').request.postData?.text).toContain('"stream":true');
    const tokens = entry('sse')._eventStreamEvents!.filter((e) => e.event === 'token');
    expect(tokens.map((e) => (JSON.parse(e.data) as { text: string }).text).join('')).toBe(text);
    const received = entry('ws')._webSocketMessages!.filter((m) => m.type === 'receive' && m.data.includes('"token"'));
    expect(received.map((m) => (JSON.parse(m.data) as { text: string }).text).join('')).toBe(text);
    // Seconds since the epoch, as Chrome writes them.
    expect(Math.abs(received[0]!.time - Date.now() / 1000)).toBeLessThan(120);
    for (const e of entries) expect(e.timings.wait).toBeGreaterThanOrEqual(0);
    const cookie = entry('sse').request.headers.find((h) => h.name.toLowerCase() === 'cookie');
    expect(cookie?.value).toBe('[masked by Streamscope]');
    expect(JSON.stringify(har)).not.toContain('cookie-secret');

    // Asked for, the secrets stay.
    await secrets.check();
    const withSecrets = await downloadHar();
    expect(JSON.stringify(withSecrets)).toContain('session=cookie-secret');
    await secrets.uncheck();
  });

  it('opens again in the page with the same replies', async () => {
    const har = await downloadHar();
    const file = path.join(dir, 'again.har');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify(har));
    await importFile(file);
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Opened again.har' }).count()).toBe(1);
    for (const id of ['sse', 'ws', 'openai']) {
      expect(await laneOf(id).getByTestId('origin-note').textContent()).toContain(harNote);
      expect(await replySource(laneOf(id))).toBe(text);
    }
    expect(errors).toEqual([]);
  });
});
