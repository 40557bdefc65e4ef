import { asksUpgrade, contentCoding, isEventStream, requestFraming, responseFraming } from './framing.ts';
import type { Framing } from './framing.ts';
import { headerValue } from './httpHead.ts';
import type { Plan, StreamHost } from './httpStream.ts';
import type { Direction, Exchange, HttpHead } from './types.ts';

/**
 * Pairs requests with responses on one connection: the n-th request and the n-th final response
 * form exchange n (HTTP/1.1 answers in order, RFC 9112 §9.3); 1xx interim responses come before
 * the final one. Tells the client's stream what became of an upgrade request.
 */
export class ExchangeLog implements StreamHost {
  readonly list: Exchange[] = [];
  #requests = 0;
  #finals = 0;
  #awaiting = new Set<number>();
  #onUpgradeAnswer: (answer: Framing) => void;

  /** `onUpgradeAnswer` receives the framing of the final response to a request that asked to upgrade. */
  constructor(onUpgradeAnswer: (answer: Framing) => void) {
    this.#onUpgradeAnswer = onUpgradeAnswer;
  }

  nextExchange(dir: Direction): number {
    return (dir === 'up' ? this.#requests : this.#finals) + 1;
  }

  head(_dir: Direction, head: HttpHead): Plan {
    if (head.type === 'request') {
      const exchange = this.#get(++this.#requests);
      exchange.request = head;
      const hold = asksUpgrade(head);
      if (hold) this.#awaiting.add(exchange.index);
      return { framing: requestFraming(head), sse: false, hold };
    }
    const exchange = this.#get(this.#finals + 1);
    const framing = responseFraming(head, exchange.request?.method);
    if (head.status < 200 && head.status !== 101) {
      exchange.interim.push(head);
      return { framing, sse: false, hold: false };
    }
    exchange.response = head;
    this.#finals++;
    if (framing.type === 'websocket' || framing.type === 'tunnel') {
      exchange.upgrade = headerValue(head, 'upgrade') ?? 'tunnel';
    }
    if (this.#awaiting.delete(exchange.index)) this.#onUpgradeAnswer(framing);
    // A compressed event stream is dissected as the opaque bytes it is on the wire.
    return { framing, sse: isEventStream(head) && contentCoding(head) === undefined, hold: false };
  }

  #get(index: number): Exchange {
    while (this.list.length < index) this.list.push({ index: this.list.length + 1, interim: [] });
    const exchange = this.list[index - 1];
    if (!exchange) throw new Error(`exchange ${index} missing`);
    return exchange;
  }
}
