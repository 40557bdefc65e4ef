import { describe, expect, it } from 'vitest';
import { linearScale, sqrtScale } from './scale.ts';

describe('linearScale', () => {
  const x = linearScale([0, 2000], [0, 800]);

  it('maps the domain onto the range, and back', () => {
    expect(x(0)).toBe(0);
    expect(x(500)).toBe(200);
    expect(x(2000)).toBe(800);
    expect(x(3000)).toBe(1200);
    expect(x.invert(200)).toBe(500);
    expect(x.invert(-40)).toBe(-100);
  });

  it('runs downwards when the range does (a y axis)', () => {
    const y = linearScale([0, 10], [300, 0]);
    expect(y(0)).toBe(300);
    expect(y(10)).toBe(0);
    expect(y.invert(150)).toBe(5);
  });

  it('clamps pixels to the range and inverted values to the domain when asked', () => {
    const clamped = linearScale([0, 2000], [0, 800], { clamp: true });
    expect(clamped(3000)).toBe(800);
    expect(clamped(-5)).toBe(0);
    expect(clamped.invert(900)).toBe(2000);
  });

  it('gives round ticks across the domain', () => {
    expect(x.ticks(5)).toEqual([0, 500, 1000, 1500, 2000]);
    expect(linearScale([0, 7.3], [0, 1]).ticks(4)).toEqual([0, 2, 4, 6]);
  });

  it('widens the domain to round values with nice', () => {
    const y = linearScale([0, 37], [100, 0], { nice: 10 });
    expect(y(40)).toBe(0);
    expect(y.ticks(4)).toEqual([0, 10, 20, 30, 40]);
  });

  it('puts everything in the middle of the range when the domain is one value', () => {
    expect(linearScale([0, 0], [0, 800])(0)).toBe(400);
    expect(linearScale([0, 0], [0, 800])(7)).toBe(400);
  });
});

describe('sqrtScale', () => {
  it('maps by square root: a quarter of the domain is half the range', () => {
    const size = sqrtScale([0, 400], [0, 20]);
    expect(size(100)).toBe(10);
    expect(size(400)).toBe(20);
    expect(size.invert(10)).toBe(100);
  });

  it('starts at the range start and clamps at its end', () => {
    const height = sqrtScale([0, 1024], [3, 35], { clamp: true });
    expect(height(0)).toBe(3);
    expect(height(256)).toBe(19);
    expect(height(5000)).toBe(35);
  });
});
