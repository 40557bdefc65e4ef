/**
 * Feeds a response body to an event-stream parser as its bytes arrive, decoding UTF-8 across
 * chunk boundaries (a character cut between two reads is held until its rest comes).
 */
export async function feedParser(reader: ReadableStreamDefaultReader<Uint8Array>, parser: { feed(text: string): void }): Promise<void> {
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    parser.feed(decoder.decode(value, { stream: true }));
  }
}
