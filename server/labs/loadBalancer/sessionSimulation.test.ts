import { describe, expect, it } from 'vitest';
import { scenario, simulateSessions } from './sessionSimulation.ts';
import type { SimulationResult } from '../../../shared/loadBalancer.ts';
import { BalancingRule } from './balancingRule.ts';

const at = (result: SimulationResult, t: number) => result.samples.find((s) => s.t === t)!.instances;

describe('BalancingRule', () => {
  const everyone = (): boolean => true;

  it('round robin: each request goes to the next live instance, whatever the client is pinned to', () => {
    const rule = new BalancingRule(['a', 'b', 'c']);
    expect([1, 2, 3, 4].map(() => rule.pick('a', everyone)?.id)).toEqual(['a', 'b', 'c', 'a']);
    expect(rule.pick(undefined, (id) => id !== 'b')).toEqual({ id: 'c', pin: false });
    expect(rule.pick(undefined, () => false)).toBeUndefined();
  });

  it('sticky: a pinned client stays while its instance lives, and is re-pinned in turn when it dies', () => {
    const rule = new BalancingRule(['a', 'b', 'c'], 'sticky');
    expect(rule.pick(undefined, everyone)).toEqual({ id: 'a', pin: true });
    expect(rule.pick('c', everyone)).toEqual({ id: 'c', pin: false });
    expect(rule.pick('c', (id) => id !== 'c')).toEqual({ id: 'b', pin: true });
    expect(rule.pick('z', everyone)).toEqual({ id: 'c', pin: true });
  });
});

describe('simulateSessions', () => {
  it('is deterministic: the same seed gives the same run, another seed another', () => {
    expect(simulateSessions({ mode: 'sticky', seed: 7 })).toEqual(simulateSessions({ mode: 'sticky', seed: 7 }));
    expect(simulateSessions({ mode: 'sticky', seed: 8 }).samples).not.toEqual(simulateSessions({ mode: 'sticky', seed: 7 }).samples);
  });

  it('samples every second; the killed instance is down, with nothing open, from the kill to the revival', () => {
    const result = simulateSessions({ mode: 'round-robin', kill: 'b' });
    expect(result.samples.map((s) => s.t)).toEqual(Array.from({ length: scenario.duration + 1 }, (_, t) => t));
    for (const { t, instances } of result.samples) {
      const b = instances.find((i) => i.id === 'b')!;
      const down = t >= scenario.killAt && t < scenario.reviveAt;
      expect(b.alive).toBe(!down);
      if (down) expect(b.open).toBe(0);
    }
    // Before the kill, it carried its part like the others.
    expect(at(result, scenario.killAt - 1).find((i) => i.id === 'b')!.open).toBeGreaterThan(0);
  });

  // The claim holds for any seed, not one lucky run.
  it.each([1, 2, 3, 4, 5])('seed %i: with sticky sessions the revived instance stays nearly empty; with round robin it refills', (seed) => {
    const sticky = simulateSessions({ mode: 'sticky', seed });
    const roundRobin = simulateSessions({ mode: 'round-robin', seed });
    expect(sticky.share.a).toBeLessThan(0.15);
    expect(sticky.share.b).toBeGreaterThan(0.35);
    expect(sticky.share.c).toBeGreaterThan(0.35);
    for (const id of ['a', 'b', 'c']) expect(roundRobin.share[id]).toBeGreaterThan(0.28);
    // Sticky: the clients that fled to b and c are still pinned there at the end.
    const end = at(sticky, scenario.duration);
    expect(end.find((i) => i.id === 'a')!.pinned * 2).toBeLessThan(Math.min(...end.filter((i) => i.id !== 'a').map((i) => i.pinned)));
    // Round robin pins no one.
    expect(roundRobin.samples.every((s) => s.instances.every((i) => i.pinned === 0))).toBe(true);
  });

  it('refuses an instance that does not exist', () => {
    expect(() => simulateSessions({ mode: 'sticky', kill: 'z' })).toThrow(/no instance "z"/);
  });
});
