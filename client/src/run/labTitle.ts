/** The labs by their `?lab=` id, as the document title and the lab panels name them. */
const titles: Record<string, string> = {
  lb: 'Load balancer',
  faults: 'What breaks streaming',
  http: 'SSE is just HTTP',
  cors: 'Cross-origin',
  limits: 'Connections per origin',
  h2: 'HTTP/1.1 against HTTP/2',
  duplex: 'When a WebSocket wins',
};

/** A lab's name for the document title; an unknown id is shown as it was typed. */
export function labTitle(id: string): string {
  return titles[id] ?? id;
}
