import { describe, expect, test } from 'vitest';
import { parseInline } from './markdownInline.ts';
import { blockTags, inlineTags, parse, shownOffsets } from './markdownTesting.ts';
import { prompts } from '../../../server/model/prompts.ts';

const inline = (s: string, open = false) => inlineTags(s, parseInline(s, open));
const blocks = (s: string, open = false) => blockTags(s, parse(s, open));

describe('inline, complete', () => {
  test.each([
    ['plain text', 'just text', 'just text'],
    ['strong', 'a **b** c', 'a <b>b</b> c'],
    ['strong with underscores', '__b__', '<b>b</b>'],
    ['em', 'a *b* c', 'a <i>b</i> c'],
    ['em with underscores', '_b_ and snake_case_name', '<i>b</i> and snake_case_name'],
    ['strong and em together', '***both***', '<i><b>both</b></i>'],
    ['em inside strong', '**a *b* c**', '<b>a <i>b</i> c</b>'],
    ['code', 'run `npm start` now', 'run <code>npm start</code> now'],
    ['code keeps its stars', '`**not bold**`', '<code>**not bold**</code>'],
    ['code with backticks inside', '`` a ` b ``', '<code>a ` b</code>'],
    ['a fence shown inline', '(`` ``` ``)', '(<code>```</code>)'],
    ['link', 'see [the spec](https://x.org/a) now', 'see <a>the spec</a>(https://x.org/a) now'],
    ['bold link text', '[**b**](u)', '<a><b>b</b></a>(u)'],
    ['brackets that are not a link', 'an [aside] here', 'an [aside] here'],
    ['escaped stars', '\\*not em\\*', '*not em*'],
    ['a lone star between spaces', '2 * 3 * 4', '2 * 3 * 4'],
    ['an unclosed strong stays literal', 'a **b', 'a **b'],
    ['an unclosed code stays literal', 'a `b', 'a `b'],
    ['stars inside words', 'a*b*c', 'a<i>b</i>c'],
    ['HTML is text', '<script>alert(1)</script> <img src=x onerror=alert(1)>', '<script>alert(1)</script> <img src=x onerror=alert(1)>'],
    ['emoji', '**👋🏽** hi', '<b>👋🏽</b> hi'],
  ])('%s', (_name, src, want) => {
    expect(inline(src)).toBe(want);
  });
});

describe('inline, still streaming: open constructs drawn as far as they came', () => {
  test.each([
    ['open strong', 'a **bo', 'a <b…>bo</b>'],
    ['open em', 'a *wh', 'a <i…>wh</i>'],
    ['open code', 'run `npm st', 'run <code…>npm st</code>'],
    ['a marker at the very end waits', 'a **', 'a '],
    ['the closing marker arriving', 'a **bold*', 'a <b…>bold</b>'],
    ['closed while streaming', 'a **bold** c', 'a <b>bold</b> c'],
    ['a backtick at the very end', 'run `', 'run <code…></code>'],
    ['a link whose address is arriving', 'see [spec](https://x', 'see <a>spec</a>(https://x)'],
    ['a backslash at the very end', 'a \\', 'a '],
    ['a link text arriving', 'see [the sp', 'see the sp'],
    ['a link text, closed, before its address', 'see [the spec]', 'see the spec'],
    ['brackets followed by text are brackets', 'an [aside] here', 'an [aside] here'],
    ['a star between spaces is no opener', '2 * 3', '2 * 3'],
  ])('%s', (_name, src, want) => {
    expect(inline(src, true)).toBe(want);
  });
});

describe('blocks', () => {
  test.each([
    ['paragraphs', 'one\ntwo\n\nthree', '<p>one\ntwo</p><p>three</p>'],
    ['headings', '# One\n### Three ###\nafter', '<h1>One</h1><h3>Three</h3><p>after</p>'],
    ['bullet list, tight', '- a\n- **b**\n* other list', '<ul><li><p>a</p></li><li><p><b>b</b></p></li></ul><ul><li><p>other list</p></li></ul>'],
    ['numbered list from 3', '3. c\n4. d', '<ol 3><li><p>c</p></li><li><p>d</p></li></ol>'],
    [
      'nested list',
      '1. top\n   - inner\n   - more\n2. next',
      '<ol><li><p>top</p><ul><li><p>inner</p></li><li><p>more</p></li></ul></li><li><p>next</p></li></ol>',
    ],
    ['loose list', '- a\n\n- b', '<ul loose><li><p>a</p></li><li><p>b</p></li></ul>'],
    ['lazy continuation', '- a\nstill a', '<ul><li><p>a\nstill a</p></li></ul>'],
    ['list ends at an unindented paragraph', '- a\n\nafter', '<ul><li><p>a</p></li></ul><p>after</p>'],
    ['a number does not start a list inside a paragraph', 'in\n2. no', '<p>in\n2. no</p>'],
    ['fenced code', '```js\nlet a = `x`;\n\n**no**\n```\nafter', '<pre js>let a = `x`;\n\n**no**</pre><p>after</p>'],
    ['tilde fence', '~~~\ncode\n~~~', '<pre>code</pre>'],
    ['fence in a list item', '- a\n  ```\n  code\n  ```', '<ul><li><p>a</p><pre>code</pre></li></ul>'],
    ['unclosed fence, complete reply', '```\ncode', '<pre>code</pre>'],
    ['quote', '> a **b**\n> c\n\nd', '<q><p>a <b>b</b>\nc</p></q><p>d</p>'],
    ['rules', 'a\n\n---\n\n* * *', '<p>a</p><hr><hr>'],
    [
      'table',
      '| a | b |\n|---|:-:|\n| `1` | 2 |\n\nafter',
      '<table><tr><th>a</th><th>b</th></tr><tr><td><code>1</code></td><td>2</td></tr></table><p>after</p>',
    ],
    ['pipes but no table', 'a | b\nc', '<p>a | b\nc</p>'],
    ['carriage returns stay text', 'a\r\nb', '<p>a\r\nb</p>'],
    ['a fence closed on a CRLF line', '```\r\nx\r\n```\r\nafter', '<pre>x\r</pre><p>after</p>'],
    ['HTML blocks are text', '<div onclick="x()">\n<script>alert(1)</script>', '<p><div onclick="x()">\n<script>alert(1)</script></p>'],
  ])('%s', (_name, src, want) => {
    expect(blocks(src)).toBe(want);
  });
});

describe('blocks, still streaming', () => {
  test.each([
    ['an open fence is a code block in progress', 'x\n\n```py\nprint(1', '<p>x</p><pre py…>print(1</pre>'],
    ['a fence with no line yet', '```', '<pre…></pre>'],
    ['a closing fence on its way is hidden', '```\ncode\n``', '<pre…>code</pre>'],
    ['a number waits to become a list item', '1. a\n2', '<ol><li><p>a</p></li></ol>'],
    ['a dash waits', 'text\n\n-', '<p>text</p>'],
    ['a hash waits', 'text\n\n#', '<p>text</p>'],
    ['a list item arriving', '- a\n- b', '<ul><li><p>a</p></li><li><p>b</p></li></ul>'],
    ['strong in the last item', '- a\n- **b', '<ul><li><p>a</p></li><li><p><b…>b</b></p></li></ul>'],
    ['earlier blocks are complete: no optimism there', 'a **b\n\nc **d', '<p>a **b</p><p>c <b…>d</b></p>'],
    ['a table header is a table at once', '| a | b', '<table><tr><th>a</th><th>b</th></tr></table>'],
    ['its delimiter row arriving', '| a | b |\n|--', '<table><tr><th>a</th><th>b</th></tr></table>'],
    ['its rows arriving', '| a | b |\n|---|---|\n| **1', '<table><tr><th>a</th><th>b</th></tr><tr><td><b…>1</b></td><td></td></tr></table>'],
  ])('%s', (_name, src, want) => {
    expect(blocks(src, true)).toBe(want);
  });
});

// No stopwatch (it flakes on a busy machine): at 150,000 characters a quadratic parser would run
// for minutes and hit the test's timeout, a linear one takes milliseconds.
test('many stars that close nothing parse in linear time', () => {
  const src = 'x* '.repeat(50_000);
  expect(inline(src, true)).toBe(src);
}, 20_000);

test('many openers that nothing closes yet: only the newest is drawn open, no deep nesting', () => {
  const src = '*x '.repeat(5000) + '*y';
  expect(inline(src, true)).toBe(`${'*x '.repeat(5000)}<i…>y</i>`);
});

describe('every prefix of a document draws without raw markup flashing', () => {
  const documents = {
    lists: '# Plan\n\n1. **First**: do `this`\n2. *Second*\n   - nested **bold**\n   - more\n3. Third\n\n- a\n- b\n',
    code: 'Some code:\n\n```ts\nconst a = `x`; // **not bold**\n```\n\nAfter the *code*.',
    table: 'Compare:\n\n| | SSE | WebSocket |\n|---|---|---|\n| Direction | **one** | both |\n| API | `EventSource` | `WebSocket` |\n\nDone.',
    quote: '> A **quote** over\n> two lines\n\nand text',
  };
  test.each([...Object.entries(documents), ...prompts.map((p) => [`prompt ${p.id}`, p.reply] as const)])('%s', (_name, doc) => {
    const final = new Set(shownOffsets(parse(doc)));
    for (let n = 0; n <= doc.length; n++) {
      const prefix = doc.slice(0, n);
      const shown = shownOffsets(parse(prefix, true));
      // Nothing the finished reply hides (a marker) is ever shown on the way.
      const flashed = shown.filter((k) => !final.has(k));
      expect(flashed.map((k) => doc[k]).join(''), `prefix ${JSON.stringify(prefix)}`).toBe('');
    }
  });
});
