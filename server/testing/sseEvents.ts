import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** Reads a whole SSE response with eventsource-parser, fed in whatever pieces fetch delivers. */
export async function readSseEvents(response: Response): Promise<EventSourceMessage[]> {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  const decoder = new TextDecoder();
  for await (const chunk of response.body!) parser.feed(decoder.decode(chunk, { stream: true }));
  return events;
}
