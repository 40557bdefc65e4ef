import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { plainAddress, tapGuard } from './tapGuard.ts';
import { Presenter, presenterCookie } from './presenter.ts';

const guard = tapGuard(new Presenter('tok'));
const request = (remoteAddress: string | undefined, headers: IncomingMessage['headers'] = {}): Pick<IncomingMessage, 'headers' | 'socket'> =>
  ({ headers, socket: { remoteAddress } }) as Pick<IncomingMessage, 'headers' | 'socket'>;

describe('tapGuard', () => {
  it.each([
    ['a bearer token', { authorization: 'Bearer tok' }],
    ['the presenter cookie', { cookie: `a=1; ${presenterCookie}=tok` }],
  ])('lets the presenter (by %s) see everything, unmasked', (_how, headers) => {
    expect(guard(request('10.0.0.9', headers))).toEqual({});
  });

  it('shows anyone else only their own address, masked', () => {
    const view = guard(request('10.0.0.5', { authorization: 'Bearer wrong' }));
    expect(view.masked).toBe(true);
    expect(view.accepts?.('10.0.0.5')).toBe(true);
    expect(view.accepts?.('::ffff:10.0.0.5')).toBe(true);
    expect(view.accepts?.('10.0.0.50')).toBe(false);
    expect(view.accepts?.('10.0.0.6')).toBe(false);
  });

  it('matches nothing for a reader whose address is unknown', () => {
    const view = guard(request(undefined));
    expect(view.accepts?.('')).toBe(false);
    expect(view.accepts?.('10.0.0.5')).toBe(false);
  });
});

describe('plainAddress', () => {
  it.each([
    ['::ffff:192.168.1.20', '192.168.1.20'],
    ['192.168.1.20', '192.168.1.20'],
    ['::1', '::1'],
    ['fe80::ffff:1', 'fe80::ffff:1'],
  ])('%s → %s', (address, plain) => expect(plainAddress(address)).toBe(plain));
});
