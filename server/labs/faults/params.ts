import { Problem } from '../../problem.ts';

/**
 * Query parameters the labs add to the reply settings, checked the way `parseSettings` checks
 * its own: a value out of bounds, of the wrong form or given twice is a 400 that names it.
 */
export function integerParam(query: Record<string, unknown>, key: string, range: { min: number; max: number }, fallback: number): number;
export function integerParam(query: Record<string, unknown>, key: string, range: { min: number; max: number }, fallback: number | null): number | null;
export function integerParam(query: Record<string, unknown>, key: string, range: { min: number; max: number }, fallback: number | null): number | null {
  const value = single(query, key);
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw new Problem(400, `Parameter "${key}" must be a whole number from ${range.min} to ${range.max}; got ${JSON.stringify(value)}.`, key);
  }
  return n;
}

/** `true` or `false`, nothing else (`1`, `yes` and `on` are refused so a typo is not read as false). */
export function booleanParam(query: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = single(query, key);
  if (value === undefined || value === '') return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Problem(400, `Parameter "${key}" must be "true" or "false"; got ${JSON.stringify(value)}.`, key);
}

function single(query: Record<string, unknown>, key: string): unknown {
  const value = query[key];
  if (Array.isArray(value)) throw new Problem(400, `Parameter "${key}" is given ${value.length} times; give it once.`, key);
  return value;
}
