import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HpackDecoder } from '../../../shared/hpack.ts';
import { decodeHuffman, EOS, huffmanCodes } from '../../../shared/hpackHuffman.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (h) => Number.parseInt(h, 16));

/** Decodes `block` and returns its fields as `name: value` lines. */
function decode(d: HpackDecoder, block: string): string[] {
  const r = d.decodeBlock(hex(block));
  expect(r.error).toBeUndefined();
  return r.fields.map((f) => `${f.name}: ${f.value}`);
}

/** The dynamic table as RFC 7541 Appendix C prints it: `(s = size) name: value`, newest first, and its total. */
function table(d: HpackDecoder): [string[], number] {
  return [d.dynamic.map((e) => `(s = ${e.size}) ${e.name}: ${e.value}`), d.size];
}

describe('Huffman code (RFC 7541 Appendix B)', () => {
  test('the code built from the lengths matches the printed codes', () => {
    expect(huffmanCodes[0]).toEqual({ code: 0x1ff8, bits: 13 });
    expect(huffmanCodes[0x30]).toEqual({ code: 0x0, bits: 5 });
    expect(huffmanCodes[0x20]).toEqual({ code: 0x14, bits: 6 });
    expect(huffmanCodes[0x7b]).toEqual({ code: 0x7ffe, bits: 15 });
    expect(huffmanCodes[0xff]).toEqual({ code: 0x3ffffee, bits: 26 });
    expect(huffmanCodes[EOS]).toEqual({ code: 0x3fffffff, bits: 30 });
  });

  test('decodes, and rejects bad padding and EOS', () => {
    const ok = decodeHuffman(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff'));
    expect(ok.ok && new TextDecoder().decode(ok.bytes)).toBe('www.example.com');
    // "0" is 00000; padded with 000 instead of 111.
    expect(decodeHuffman(hex('00'))).toMatchObject({ ok: false, why: expect.stringMatching(/not all ones/) as unknown });
    // A whole byte of ones is 8 bits of padding.
    expect(decodeHuffman(hex('ff'))).toMatchObject({ ok: false, why: expect.stringMatching(/8 bits/) as unknown });
    // 30 ones: EOS.
    expect(decodeHuffman(hex('ff ff ff ff'))).toMatchObject({ ok: false, why: expect.stringMatching(/EOS/) as unknown });
  });
});

describe('RFC 7541 Appendix C', () => {
  test('C.1 integers: 10 and 1337 on a 5-bit prefix, 42 on 8 bits (via a size update and indices)', () => {
    const d = new HpackDecoder(4096);
    const r = d.decodeBlock(hex('3f9a0a'));
    expect(r.fields[0]).toMatchObject({ representation: 'size-update', maxSize: 1337, start: 0, end: 3 });
    expect(new HpackDecoder().decodeBlock(hex('2a')).fields[0]?.maxSize).toBe(10);
  });

  test('C.2.1 literal with indexing', () => {
    const d = new HpackDecoder();
    const r = d.decodeBlock(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'));
    expect(r.fields).toMatchObject([{ representation: 'literal-incremental', name: 'custom-key', value: 'custom-header', start: 0, end: 26 }]);
    expect(table(d)).toEqual([['(s = 55) custom-key: custom-header'], 55]);
  });

  test('C.2.2 literal without indexing', () => {
    const d = new HpackDecoder();
    const r = d.decodeBlock(hex('040c 2f73 616d 706c 652f 7061 7468'));
    expect(r.fields).toMatchObject([{ representation: 'literal-without-indexing', name: ':path', value: '/sample/path', index: 4 }]);
    expect(table(d)).toEqual([[], 0]);
  });

  test('C.2.3 literal never indexed', () => {
    const d = new HpackDecoder();
    const r = d.decodeBlock(hex('1008 7061 7373 776f 7264 0673 6563 7265 74'));
    expect(r.fields).toMatchObject([{ representation: 'literal-never-indexed', name: 'password', value: 'secret' }]);
    expect(r.fields[0]?.explain).toMatch(/§6\.2\.3/);
    expect(table(d)).toEqual([[], 0]);
  });

  test('C.2.4 indexed field', () => {
    const d = new HpackDecoder();
    expect(d.decodeBlock(hex('82')).fields).toMatchObject([{ representation: 'indexed', name: ':method', value: 'GET', index: 2, start: 0, end: 1 }]);
  });

  const requests = [
    ':method: GET\n:scheme: http\n:path: /\n:authority: www.example.com',
    ':method: GET\n:scheme: http\n:path: /\n:authority: www.example.com\ncache-control: no-cache',
    ':method: GET\n:scheme: https\n:path: /index.html\n:authority: www.example.com\ncustom-key: custom-value',
  ].map((s) => s.split('\n'));
  const requestTables: [string[], number][] = [
    [['(s = 57) :authority: www.example.com'], 57],
    [['(s = 53) cache-control: no-cache', '(s = 57) :authority: www.example.com'], 110],
    [['(s = 54) custom-key: custom-value', '(s = 53) cache-control: no-cache', '(s = 57) :authority: www.example.com'], 164],
  ];

  test.each([
    [
      'C.3 without Huffman',
      [
        '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
        '8286 84be 5808 6e6f 2d63 6163 6865',
        '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
      ],
    ],
    [
      'C.4 with Huffman',
      ['8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', '8286 84be 5886 a8eb 1064 9cbf', '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'],
    ],
  ])('%s: three requests on one connection, the dynamic table after each', (_name, blocks) => {
    const d = new HpackDecoder();
    blocks.forEach((block, i) => {
      expect(decode(d, block)).toEqual(requests[i]);
      expect(table(d)).toEqual(requestTables[i]);
    });
  });

  const responses = [
    ':status: 302\ncache-control: private\ndate: Mon, 21 Oct 2013 20:13:21 GMT\nlocation: https://www.example.com',
    ':status: 307\ncache-control: private\ndate: Mon, 21 Oct 2013 20:13:21 GMT\nlocation: https://www.example.com',
    ':status: 200\ncache-control: private\ndate: Mon, 21 Oct 2013 20:13:22 GMT\nlocation: https://www.example.com\ncontent-encoding: gzip\n' +
      'set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1',
  ].map((s) => s.split('\n'));
  const responseTables: [string[], number][] = [
    [
      [
        '(s = 63) location: https://www.example.com',
        '(s = 65) date: Mon, 21 Oct 2013 20:13:21 GMT',
        '(s = 52) cache-control: private',
        '(s = 42) :status: 302',
      ],
      222,
    ],
    [
      [
        '(s = 42) :status: 307',
        '(s = 63) location: https://www.example.com',
        '(s = 65) date: Mon, 21 Oct 2013 20:13:21 GMT',
        '(s = 52) cache-control: private',
      ],
      222,
    ],
    [
      [
        '(s = 98) set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1',
        '(s = 52) content-encoding: gzip',
        '(s = 65) date: Mon, 21 Oct 2013 20:13:22 GMT',
      ],
      215,
    ],
  ];

  test.each([
    [
      'C.5 without Huffman',
      [
        '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
        '4803 3330 37c1 c0bf',
        '88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31',
      ],
    ],
    [
      'C.6 with Huffman',
      [
        '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
        '4883 640e ffc1 c0bf',
        '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
      ],
    ],
  ])('%s: three responses with a 256-octet table, evictions included', (_name, blocks) => {
    const d = new HpackDecoder(256);
    blocks.forEach((block, i) => {
      expect(decode(d, block)).toEqual(responses[i]);
      expect(table(d)).toEqual(responseTables[i]);
    });
  });

  test('C.5.2: the literal that evicts says so, and names the entry it joins', () => {
    const d = new HpackDecoder(256);
    d.decodeBlock(hex('4803 3330 3258 0770 7269 7661 7465'));
    d.decodeBlock(
      hex('611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'),
    );
    const f = d.decodeBlock(hex('4803 3330 37')).fields[0];
    expect(f?.evicted.map((e) => `${e.name}: ${e.value}`)).toEqual([':status: 302']);
    expect(f?.explain).toMatch(/entry 62, evicting 1 older entry/);
  });
});

describe('dynamic table size updates (RFC 7541 §6.3, §4.3)', () => {
  test('shrinking to 0 empties the table, growing back lets entries in again', () => {
    const d = new HpackDecoder();
    d.decodeBlock(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'));
    d.decodeBlock(hex('8286 84be 5808 6e6f 2d63 6163 6865'));
    expect(d.dynamic).toHaveLength(2);
    const shrink = d.decodeBlock(hex('20 82')).fields[0];
    expect(shrink).toMatchObject({ representation: 'size-update', maxSize: 0, label: 'dynamic table size update: 0' });
    expect(shrink?.evicted.map((e) => e.name)).toEqual([':authority', 'cache-control']);
    expect(shrink?.explain).toMatch(/2 entries that no longer fit are evicted/);
    expect(table(d)).toEqual([[], 0]);
    // A literal with indexing while the table holds 0 octets adds nothing.
    d.decodeBlock(hex('4003 6162 6301 78'));
    expect(table(d)).toEqual([[], 0]);
    // Back up to 4,096 (31 + 4065 on a 5-bit prefix: 3f e1 1f).
    d.decodeBlock(hex('3fe11f 4003 6162 6301 78'));
    expect(d.maxSize).toBe(4096);
    expect(table(d)).toEqual([['(s = 36) abc: x'], 36]);
  });

  test('the hpack-test-case stories with table size changes include size updates', () => {
    const { stories } = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures', 'hpack-stories.json'), 'utf8')) as {
      stories: Record<string, Story[]>;
    };
    const d = new HpackDecoder();
    const updates = (stories['nghttp2-change-table-size'] ?? []).flatMap((c) => {
      if (c.header_table_size !== undefined) d.limit = c.header_table_size;
      return d.decodeBlock(hex(c.wire)).fields.filter((f) => f.representation === 'size-update');
    });
    expect(updates.length).toBeGreaterThan(0);
  });
});

describe('errors', () => {
  test('an index beyond the table, index 0, a size update after a field, a block ending mid-field', () => {
    const d = new HpackDecoder();
    expect(d.decodeBlock(hex('be')).error?.why).toMatch(/index 62 beyond the table \(it ends at 61\)/);
    expect(d.decodeBlock(hex('80')).error?.why).toMatch(/index 0/);
    expect(d.decodeBlock(hex('82 3f e1 1f')).error).toMatchObject({ at: 1, why: expect.stringMatching(/after a field/) as unknown });
    expect(d.decodeBlock(hex('82 400a 6375')).error).toMatchObject({ at: 1, why: expect.stringMatching(/ends inside/) as unknown });
    expect(d.decodeBlock(hex('3fe21f')).error?.why).toMatch(/above the 4096/);
  });

  test('next() asks for more bytes until a field is whole, and leaves the table alone meanwhile', () => {
    const d = new HpackDecoder();
    const block = hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572');
    for (let n = 0; n < block.length; n++) {
      const step = d.next(block.subarray(0, n), 0);
      expect(step.type).toBe('more');
      if (step.type === 'more') expect(step.need).toBeGreaterThan(n);
      expect(d.dynamic).toHaveLength(0);
    }
    expect(d.next(block, 0).type).toBe('field');
  });
});

interface Story {
  header_table_size?: number;
  wire: string;
  headers: Record<string, string>[];
}

describe('hpack-test-case stories (github.com/http2jp/hpack-test-case)', () => {
  const { stories } = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures', 'hpack-stories.json'), 'utf8')) as {
    stories: Record<string, Story[]>;
  };
  test.each(Object.entries(stories))('%s story_05: every header block decodes to its header list', (_encoder, cases) => {
    const d = new HpackDecoder();
    for (const c of cases) {
      if (c.header_table_size !== undefined) d.limit = c.header_table_size;
      const r = d.decodeBlock(hex(c.wire));
      expect(r.error).toBeUndefined();
      const fields = r.fields.filter((f) => f.representation !== 'size-update').map((f) => [f.name, f.value]);
      expect(fields).toEqual(c.headers.map((h) => Object.entries(h)[0]));
    }
  });
});
