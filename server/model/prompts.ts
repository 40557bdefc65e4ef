/** A prompt the simulated model knows, with the reply it streams. */
export interface ScriptedPrompt {
  /** Stable id used in URLs: `?prompt=<id>`. lowercase-kebab. */
  id: string;
  /** Short title for the prompt picker, e.g. "Explain SSE in one paragraph". */
  title: string;
  /** What the user asked (shown as the user's chat bubble). */
  prompt: string;
  /** The assistant's reply, streamed token by token. */
  reply: string;
}

export const prompts: readonly ScriptedPrompt[] = [
  {
    id: 'what-is-sse',
    title: 'Explain SSE in one paragraph',
    prompt: 'What are Server-Sent Events, in one short paragraph?',
    reply:
      "Server-Sent Events (SSE) let a server push updates to the browser over one long-lived HTTP response. The server writes plain-text events in the `text/event-stream` format, and the browser's built-in `EventSource` API delivers each one to your code as a message.",
  },
  {
    id: 'what-is-a-token',
    title: 'What exactly is a token?',
    prompt: 'Everyone says models stream "tokens". What exactly is a token?',
    reply: `A token is the unit of text a language model reads and writes. Often it's a whole common word like " the" (leading space included), but it can also be part of a longer word, a punctuation mark, or a few bytes of an emoji. For English, a handy rule of thumb is that one token is about four characters, or roughly three-quarters of a word.

Models generate exactly one token per step, and a streaming server can forward each one as soon as it exists. That's why replies arrive in small, uneven pieces rather than neat whole words. Token counts also drive pricing and context-window limits, and different models use different tokenizers, so the same sentence can have a different count depending on the model. Pasting a few sentences into a tokenizer tool is a great way to get a feel for it.`,
  },
  {
    id: 'streaming-feel-fast',
    title: 'What makes a stream feel fast?',
    prompt: 'What actually makes a streamed chat reply feel fast or slow?',
    reply: `A few separate things add up to "this feels fast". Here are the big ones:

1. **Time to first token (TTFT)**: how long before the first words appear. It's mostly network time, queueing, and the model reading your prompt (the "prefill" step). Users notice this more than anything else.
2. **Tokens per second**: how quickly text flows once it starts. People read roughly 4–5 words per second, so a model producing a few dozen tokens per second already stays ahead of the reader.
3. **A steady rhythm**: the same average speed feels smoother when tokens arrive evenly instead of in bursts. Some UIs buffer slightly and release text at a constant pace.
4. **Nothing buffering in between**: proxies, compression middleware, and some hosting platforms can hold chunks back and deliver everything at once.
   - Disable proxy buffering for the streaming route.
   - Don't gzip the event stream unless you flush after every event.
5. **Cheap rendering on the client**: re-parsing the whole markdown message on every token gets slow for long replies.
   - Batch updates, for example once per animation frame.
   - Only re-render the part of the message that changed.

If you can only measure one thing, measure TTFT from the user's click to the first visible character.`,
  },
  {
    id: 'express-sse-endpoint',
    title: 'Show me a minimal SSE server',
    prompt: 'Can you show me a minimal Express endpoint that streams with SSE, plus the browser code to read it?',
    reply: `Sure! Here's a tiny Express server that sends a counter once per second:

\`\`\`js
// server.mjs (run with: node server.mjs)
import express from 'express';

const app = express();
app.use(express.static('public')); // serves public/index.html

app.get('/events', (req, res) => {
  res.set({
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
  });
  res.flushHeaders(); // send the headers right away

  let count = 0;
  const timer = setInterval(() => {
    count += 1;
    res.write(\`data: \${JSON.stringify({ count })}\\n\\n\`);
  }, 1000);

  // Stop the timer when the client goes away.
  res.on('close', () => clearInterval(timer));
});

app.listen(3000, () => console.log('Listening on http://localhost:3000'));
\`\`\`

And the browser side, in a script on that page:

\`\`\`js
const source = new EventSource('/events');

source.onmessage = (event) => {
  const { count } = JSON.parse(event.data);
  console.log('tick', count);
};

source.onerror = () => {
  console.warn('Connection lost, EventSource will try to reconnect');
};
\`\`\`

If you open http://localhost:3000/events directly in a tab, you'll see the raw stream:

\`\`\`text
data: {"count":1}

data: {"count":2}

\`\`\`

Each event ends with a blank line. That's why the server writes \`\\n\\n\` after every message.`,
  },
  {
    id: 'sse-vs-websockets',
    title: 'SSE or WebSockets for a chat app?',
    prompt: 'Should I use SSE or WebSockets to stream replies in my chat app?',
    reply: `For streaming an AI reply, SSE is usually the simpler choice: the user sends a message with a normal request, and the reply flows back in one direction. Here's how they compare:

| | Server-Sent Events | WebSockets |
|---|---|---|
| Direction | Server → client only | Both ways |
| Transport | A normal HTTP response | Starts as HTTP, then upgrades to its own protocol |
| Data | UTF-8 text | Text or binary |
| Reconnecting | Built into \`EventSource\` | You write it yourself |
| Proxies & CDNs | Usually fine (watch for buffering) | Must support the \`Upgrade\` handshake |
| Browser API | \`EventSource\` (GET only) or \`fetch\` | \`WebSocket\` |

Reach for WebSockets when the client also needs to send lots of messages in real time, like multiplayer games, collaborative editing, or live voice. For "send a prompt, stream an answer", SSE does the job with less machinery.

One gotcha: over HTTP/1.1, browsers allow only about six connections per domain, and every open SSE stream uses one of them. HTTP/2 multiplexes many streams over a single connection, so the limit is much higher (typically 100).`,
  },
  {
    id: 'emoji-glitches',
    title: 'Why do emoji glitch mid-stream?',
    prompt: 'Why do emoji sometimes look broken for a moment while a reply is streaming? 🤔',
    reply: `Great question 👋🏽! Emoji are a fun stress test for streaming, because one emoji you *see* can be several pieces under the hood:

- 👋🏽 is two code points: a waving hand plus a skin-tone modifier.
- 👩‍💻 is three: a woman, an invisible zero-width joiner (ZWJ), and a laptop.
- 🇯🇵 is two "regional indicator" letters, J and P, that together render as a flag.

In UTF-8 most emoji code points take 4 bytes (the ZWJ takes 3), and a tokenizer may split them across several tokens. So mid-stream you can briefly see things like:

1. **Half-built emoji**: a plain 👋 that turns 👋🏽 when the modifier arrives, or 👩 sitting alone until the joiner and 💻 show up.
2. **Replacement characters (�)**: a network chunk ended in the middle of a character's bytes, and the code decoded each chunk on its own.

The second one is a real bug, and the fix is to let the decoder carry leftover bytes over to the next chunk:

\`\`\`js
const reader = response.body.getReader();
const decoder = new TextDecoder();
let text = '';
while (true) {
  const { done, value } = await reader.read();
  if (done) break;
  text += decoder.decode(value, { stream: true });
}
text += decoder.decode(); // flush any leftover bytes
\`\`\`

The first one is just the stream catching up, and it fixes itself a few milliseconds later. Happy streaming 👩‍💻✨, and a little thank-you to Japan 🇯🇵, where emoji were born!`,
  },
  {
    id: 'japanese-why-streaming',
    title: 'なぜ一文字ずつ表示されるの？',
    prompt: 'AIチャットの返答は、なぜ一文字ずつ表示されるのですか？',
    reply: `良い質問です！大規模言語モデルは、文章を一度にすべて作るのではなく、「トークン」と呼ばれる小さな単位を一つずつ順番に生成しています。

サーバーはトークンが一つできるたびに、それをすぐにブラウザへ送ります。この仕組みを「ストリーミング」と呼び、多くの場合 Server-Sent Events（SSE）という技術が使われます。

こうすることで、返答全体が完成するのを待たずに、最初の言葉をすぐに読み始めることができます。生成にかかる時間は同じでも、体感ではずっと速く感じられるのです。

なお、表示される単位は必ずしも一文字ではなく、単語の一部や数文字のまとまりになることもあります。`,
  },
  {
    id: 'arabic-word-by-word',
    title: 'لماذا يظهر الرد كلمة بكلمة؟',
    prompt: 'لماذا يظهر رد المساعد كلمة بكلمة؟',
    reply:
      'لأن النموذج لا يكتب الرد دفعة واحدة، بل يولّده قطعة صغيرة تلو الأخرى تُسمّى «رموزًا» (tokens). يرسل الخادم كل رمز إلى المتصفح فور جاهزيته عبر اتصال مفتوح، فتبدأ بقراءة الإجابة خلال جزء من الثانية بدلًا من انتظارها كاملة.',
  },
  {
    id: 'on-the-wire',
    title: 'What happens on the wire?',
    prompt: 'Walk me through what happens on the wire when ChatGPT streams a reply.',
    reply: `Sure! Products differ in the details, but the OpenAI API and most chat apps stream over plain HTTP using the Server-Sent Events format. Here's one reply's journey, step by step.

**1. The request goes out**

When you press Enter, the page sends an ordinary HTTPS \`POST\` with the conversation as JSON. Because \`EventSource\` can only make \`GET\` requests, chat apps usually call \`fetch()\` instead and read the response body as a stream.

**2. The server answers before the model does**

The server doesn't wait for the whole reply. It sends the status line and headers right away:

\`\`\`http
HTTP/1.1 200 OK
Content-Type: text/event-stream
Cache-Control: no-cache
Transfer-Encoding: chunked
\`\`\`

Then it keeps the response open. On HTTP/1.1 the body goes out in chunks; on HTTP/2 and HTTP/3 it's a series of DATA frames. Either way there's no \`Content-Length\`, because nobody knows yet how long the answer will be.

**3. The model generates tokens**

First the model processes your whole prompt (the "prefill" phase). Together with queueing and network time, that's most of the wait before the first token. After that it produces one token at a time, each depending on the ones before it.

**4. Each token becomes an event**

As tokens come out, the server wraps them in SSE events. An event is one or more \`data:\` lines followed by a blank line:

\`\`\`text
data: {"delta":"Hel"}

data: {"delta":"lo"}

data: {"delta":" there!"}

data: [DONE]

\`\`\`

The blank line tells the client "this event is complete". Servers may also send a comment line like \`: ping\` to keep idle connections alive.

**5. The bytes travel**

Each write is encrypted by TLS and handed to TCP, which may split or merge writes. That's why the client can never assume one network chunk equals one event: a chunk might hold half an event, or three.

**6. The browser reassembles it**

The client reads the body with a stream reader, decodes the bytes with a \`TextDecoder\` in streaming mode (so characters split across chunks survive), and buffers text until it sees a blank line. Then it parses the \`data:\` payload, appends the new text to the message, and re-renders.

**7. The stream ends**

When the model finishes, the server sends a final event (OpenAI's API uses \`data: [DONE]\`) and closes the response. If you click "Stop", the client aborts the request with an \`AbortController\`; the server sees the connection close and can stop generating.

**Where it goes wrong**

The classic bug is buffering: a reverse proxy, compression middleware, or hosting platform holds the bytes until the response ends, so everything arrives at once. Turning off proxy buffering (for example \`X-Accel-Buffering: no\` for nginx) and not compressing the stream usually fixes it.

That's the whole trip: one long-lived HTTP response, a trickle of small text events, and a client that stitches them back together.`,
  },
  {
    id: 'render-markdown',
    title: 'How should a chat app render markdown?',
    prompt: 'My chat app shows the raw markdown while a reply streams. How do chat apps render it as it arrives?',
    reply: `## Render as it streams

Chat apps draw the **markdown** a model writes *while* it arrives, not only at the end. The trick is to re-render only what changed:

- Split the reply into **blocks**: paragraphs, lists, headings and code fences.
- A block is *complete* once the next one starts, so keep its output and never parse it again.
- Re-parse only the **last, open block** on each token.

Unfinished syntax needs care, or markers flash on screen:

1. An unclosed \`**\` is drawn bold up to the newest token.
2. An open fence (\`\` \`\`\` \`\`) is already a code block, growing line by line.
3. Never inject the text as HTML: build elements from the parsed structure, so a \`<script>\` stays text.

\`\`\`ts
const blocks = done.concat(parse(text.slice(openFrom)));
render(blocks); // closed blocks keep their DOM
\`\`\`

> Keep the raw text one click away: it is what the model actually sent.

See the [CommonMark spec](https://spec.commonmark.org) for the full rules.`,
  },
];
