/**
 * The hall (issue 16): M followers watching the presenter's run over broadcast follow. Load
 * processes (`--hall-load-processes`, 2 by default) open M real connections to `GET
 * /api/follow/run` between them, and the first plays the presenter, POSTing a four-lane step at 50 tokens/s in batches every 200 ms, as the page does (`presenterRun.ts`).
 * For each target (`hallTarget.ts`) M climbs the ladder until a rung fails twice; each rung
 * reports delivery lateness (a batch's arrival at a follower minus its `sentAt`, the machine's
 * clock in every process; batches sent in the run's first second, its warm-up, reported apart),
 * batches lost, and the server's CPU and memory per follower. Then: "run it yourself" (every
 * follower runs the step: 4 streams and a tap subscription) at the largest M held, and a longer
 * run at a fixed M to check that memory does not grow with the run's length.
 */
import type { BenchConfig } from '../options.ts';
import { format, type Figure, type Log, type SectionResult } from '../figures.ts';
import { ratio } from '../stats.ts';
import type { Rung } from '../capacity/ladder.ts';
import { describeOwn, describeRung, rungHeld, runRung, runYourself, type OwnResult, type RungResult } from './hallRung.ts';
import { hallTargets, type HallTarget } from './hallTarget.ts';

/** The issue's goal: this many followers on one 2-core process. */
const goalFollowers = 2000;
/** The issue's goal for a hall: two processes hold at least this many times what one holds. */
const scaleGoal = 1.6;

/**
 * Whether `largest` (two processes) is ≥ 1.6x `one`'s: null (not measured) when one process held
 * nothing, or held so much that 1.6x of it is above the ladder's top rung.
 */
function scaleMet(largest: number, one: number, ladder: readonly number[]): boolean | null {
  if (largest >= scaleGoal * one && one > 0) return true;
  if (one === 0 || scaleGoal * one > Math.max(...ladder)) return null;
  return false;
}

type Measured = { result: RungResult; error: null } | { result: null; error: string };
interface Climbed {
  largestHeld: number;
  rungs: Rung<Measured>[];
  skipped?: string;
}

interface Growth {
  followers: number;
  runMs: number;
  /** ms after the run's start of each sample (after a GC), and RSS / heap then. */
  at: number[];
  rssMB: number[];
  heapMB: number[];
  /** The run's published JSON bytes: the server keeps each batch once, so this much growth is the run, not the followers. */
  runMB: number;
  /** The run kept between the first and the last sample (it is published at a steady rate). */
  keptBetweenMB: number;
  /**
   * (JS heap growth between the first and last sample − the run kept in that time) / M: what
   * each follower holds more as the run goes on. The heap, not RSS: after a GC the heap is what
   * is still held, while RSS keeps pages the allocator has not given back.
   */
  kbPerFollowerGrowth: number;
  result: RungResult;
}

const MB = 2 ** 20;

export async function hall(config: BenchConfig, log: Log): Promise<SectionResult> {
  const h = config.hall;
  // CPU over the run's middle: from 1 s in (every lane streaming) to its end.
  const marks = [Math.min(1000, h.runMs / 4), h.runMs];
  const climbs = new Map<string, Climbed>();
  for (const target of hallTargets) {
    if (target.unavailable) {
      log(`hall ${target.label}: skipped: ${target.unavailable}`);
      climbs.set(target.id, { largestHeld: 0, rungs: [], skipped: target.unavailable });
      continue;
    }
    const climbed = await ladder(
      h.ladder,
      async (m, attempt): Promise<Measured> => {
        const what = `hall ${target.label} M=${m}${attempt > 1 ? ` (attempt ${attempt})` : ''}`;
        try {
          const result = await runRung(target, {
            followers: m,
            tps: h.tps,
            rampMs: h.rampMs,
            runMs: h.runMs,
            graceMs: h.graceMs,
            marks,
            gcAtMarks: false,
            loadProcesses: h.loadProcesses,
            warmupMs: h.warmupMs,
          });
          log(`${what}: ${describeRung(result)} → ${rungHeld(result, h.p99LimitMs) ? 'held' : 'failed'}`);
          return { result, error: null };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          log(`${what}: could not measure: ${message}`);
          return { result: null, error: message };
        }
      },
      (measured) => measured.result !== null && rungHeld(measured.result, h.p99LimitMs),
    );
    climbs.set(target.id, climbed);
    log(`hall ${target.label}: largest M held ${climbed.largestHeld || 'none'}`);
  }

  const one = hallTargets.find((t) => t.id === 'one-process')!;
  const oneClimb = climbs.get(one.id)!;
  const ownM = oneClimb.largestHeld || Math.min(...h.ladder);
  let own: OwnResult | null = null;
  let ownError: string | null = null;
  try {
    own = await runYourself(one, { followers: ownM, tps: h.tps, rampMs: h.rampMs, runMs: h.runMs, graceMs: h.graceMs });
    log(`hall run it yourself M=${ownM} (${own.streams} streams, ${ownM} taps): ${describeOwn(own)}`);
  } catch (error) {
    ownError = error instanceof Error ? error.message : String(error);
    log(`hall run it yourself M=${ownM}: could not measure: ${ownError}`);
  }

  const growthM = Math.min(h.growthFollowers, oneClimb.largestHeld || Math.min(...h.ladder));
  let growth: Growth | null = null;
  let growthError: string | null = null;
  try {
    growth = await measureGrowth(one, growthM, config);
    log(
      `hall memory over a ${h.longRunMs / 1000} s run at M=${growthM}: at ${growth.at.map((t) => `${t / 1000} s`).join(', ')} (after a GC) RSS ${growth.rssMB.map((r) => format(r)).join(' → ')} MB, heap ${growth.heapMB.map((r) => format(r)).join(' → ')} MB; run kept ${format(growth.keptBetweenMB)} MB between the first and last; ${format(growth.kbPerFollowerGrowth)} KB of heap per follower beyond the run; ${describeRung(growth.result)}`,
    );
  } catch (error) {
    growthError = error instanceof Error ? error.message : String(error);
    log(`hall memory over a long run: could not measure: ${growthError}`);
  }

  const figures = [
    ...hallTargets.flatMap((t) => climbFigures(t, climbs, config)),
    ...ownFigures(own, ownError, ownM, oneClimb, config),
    ...growthFigures(growth, growthError),
  ];
  const details = {
    goalFollowers,
    targets: Object.fromEntries(hallTargets.map((t) => [t.id, { label: t.label, processes: t.processes, ...climbs.get(t.id) }])),
    runYourself: { followers: ownM, result: own, error: ownError },
    growth: growth ?? { error: growthError },
  };
  return { figures, details };
}

/**
 * Every rung of the ladder, in ascending order, so each M has its figures (the issue asks for
 * all five): a rung that fails is measured again once (one stall of a shared machine can spoil a
 * p99) until the first rung fails for good; the rungs above it are measured once each. The
 * largest M held is the largest below which every rung held, as in the capacity section.
 */
async function ladder<R>(
  ms: readonly number[],
  measure: (m: number, attempt: number) => Promise<R>,
  holds: (result: R) => boolean,
): Promise<{ rungs: Rung<R>[]; largestHeld: number }> {
  const rungs: Rung<R>[] = [];
  let largestHeld = 0;
  let failed = false;
  for (const m of [...ms].sort((a, b) => a - b)) {
    const tried: R[] = [];
    let held = false;
    while (!held && tried.length < (failed ? 1 : 2)) {
      const result = await measure(m, tried.length + 1);
      tried.push(result);
      held = holds(result);
    }
    rungs.push({ n: m, held, result: tried.at(-1)!, attempts: tried });
    if (!held) failed = true;
    else if (!failed) largestHeld = m;
  }
  return { rungs, largestHeld };
}

async function measureGrowth(target: HallTarget, followers: number, config: BenchConfig): Promise<Growth> {
  const h = config.hall;
  const at = [h.longRunMs / 4, h.longRunMs / 2, h.longRunMs];
  const result = await runRung(target, {
    followers,
    tps: h.tps,
    rampMs: h.rampMs,
    runMs: h.longRunMs,
    graceMs: h.graceMs,
    marks: at,
    gcAtMarks: true,
    loadProcesses: h.loadProcesses,
    warmupMs: h.warmupMs,
  });
  const rssMB = result.rssAtMarksMB;
  // The run is published at a steady rate: what the server kept between the first and last sample.
  const runMB = result.bytes / MB;
  const keptBetweenMB = runMB * (1 - at[0]! / h.longRunMs);
  const heapMB = result.heapAtMarksMB;
  return {
    followers,
    runMs: h.longRunMs,
    at,
    rssMB,
    heapMB,
    runMB,
    keptBetweenMB,
    kbPerFollowerGrowth: ((heapMB.at(-1)! - heapMB[0]! - keptBetweenMB) * 1024) / followers,
    result,
  };
}

function lateness(r: RungResult): string {
  return `${format(r.lateness.p50)} / ${format(r.lateness.p99)} / ${format(r.lateness.max)} ms`;
}

function climbFigures(target: HallTarget, climbs: Map<string, Climbed>, config: BenchConfig): Figure[] {
  const h = config.hall;
  const section = 'hall';
  const climbed = climbs.get(target.id)!;
  const base = target.baseline === undefined ? undefined : hallTargets.find((t) => t.id === target.baseline);
  const theirs = base && climbs.get(base.id);
  const name = `${target.label}: largest M with p99 < ${h.p99LimitMs} ms, nothing lost`;
  if (climbed.skipped !== undefined) return [{ section, name, value: null, unit: 'followers', text: `skipped: ${climbed.skipped}` }];
  const largest = climbed.largestHeld;
  const quickNote = config.quick ? ` (--quick ladder up to ${Math.max(...h.ladder)})` : '';
  const heldText = (n: number): string => (n ? `${format(n)} followers` : `< ${Math.min(...h.ladder)} followers`);
  const figures: Figure[] = [
    {
      section,
      name,
      value: largest,
      unit: 'followers',
      text: `${heldText(largest)}${target.processes === 1 && base ? ` (${format(ratio(largest, goalFollowers))}x the goal)` : ''}${quickNote}`,
      ...(base && theirs
        ? { baseline: { label: base.label, value: theirs.largestHeld, text: heldText(theirs.largestHeld) }, ratio: ratio(largest, theirs.largestHeld) }
        : {}),
      ...(target.processes === 1 && base ? { goal: { text: `≥ ${format(goalFollowers)} on one process`, met: largest >= goalFollowers } } : {}),
      ...(target.processes > 1 && theirs ? { goal: { text: `≥ ${scaleGoal}x ${base!.label}`, met: scaleMet(largest, theirs.largestHeld, h.ladder) } } : {}),
    },
  ];
  // A baseline's rungs are shown beside its target's.
  if (!base) return figures;
  for (const rung of climbed.rungs) {
    const at = `${target.label}, M=${format(rung.n)}${rung.held ? '' : ' (failed)'}`;
    const r = rung.result.result;
    if (!r) {
      figures.push({ section, name: `${at}: could not measure`, value: null, unit: '', text: rung.result.error ?? '' });
      continue;
    }
    const b = theirs?.rungs.find((x) => x.n === rung.n)?.result.result ?? null;
    const delivery = (x: RungResult): string => {
      const failed = x.failed + x.connected.failed;
      const warm = x.warmup.batches ? ` (first ${format(x.warmup.ms / 1000)} s apart: max ${format(x.warmup.lateness.max)} ms)` : '';
      return `${lateness(x)}${warm}; ${format(x.loss.lost)} of ${format(x.loss.expected)} lost${failed ? `, ${format(failed)} followers failed` : ''}`;
    };
    const side = (x: RungResult): string =>
      Object.entries(x.sideCpuPercent)
        .map(([program, cpu]) => `, ${program} ${format(cpu, '%')}`)
        .join('');
    const cost = (x: RungResult): string =>
      `${format(x.cpuPercent, '%')}${side(x)}; ${format(x.kbPerFollower)} KB/follower (idle ${format(x.kbPerIdleFollower)})`;
    figures.push(
      {
        section,
        name: `${at}: delivery lateness p50 / p99 / max; batches lost`,
        value: r.lateness.p99,
        unit: 'ms',
        text: delivery(r),
        ...(b ? { baseline: { label: base.label, value: b.lateness.p99, text: delivery(b) }, ratio: ratio(r.lateness.p99, b.lateness.p99) } : {}),
        ...(target.processes === 1 ? { goal: { text: `p99 < ${h.p99LimitMs} ms, 0 lost`, met: rungHeld(r, h.p99LimitMs) } } : {}),
      },
      {
        section,
        name: `${at}: server CPU${Object.keys(r.sideCpuPercent).length ? ` (${Object.keys(r.sideCpuPercent).join(', ')} apart)` : ''}; RSS per follower`,
        value: r.cpuPercent,
        unit: '%',
        text: cost(r),
        ...(b ? { baseline: { label: base.label, value: b.cpuPercent, text: cost(b) }, ratio: ratio(r.cpuPercent, b.cpuPercent) } : {}),
      },
    );
  }
  return figures;
}

function ownFigures(own: OwnResult | null, error: string | null, m: number, oneClimb: Climbed, config: BenchConfig): Figure[] {
  const section = 'hall';
  const name = `run it yourself, M=${format(m)} (4 streams + a tap each)`;
  if (!own) return [{ section, name: `${name}: could not measure`, value: null, unit: '', text: error ?? '' }];
  const broadcast = oneClimb.rungs.find((r) => r.n === m)?.result.result ?? null;
  return [
    {
      section,
      name: `${name}: token lateness p50 / p99 / max; lost`,
      value: own.lateness.p99,
      unit: 'ms',
      text: `${format(own.lateness.p50)} / ${format(own.lateness.p99)} / ${format(own.lateness.max)} ms; ${format(own.lost)} of ${format(own.streams * own.tokensPerStream)} tokens lost, ${own.failed} failed`,
      ...(broadcast
        ? {
            baseline: { label: 'broadcast, one process', value: broadcast.lateness.p99, text: lateness(broadcast) },
            ratio: ratio(own.lateness.p99, broadcast.lateness.p99),
          }
        : {}),
      goal: { text: `p99 < ${config.hall.p99LimitMs} ms, 0 lost`, met: own.lateness.p99 < config.hall.p99LimitMs && own.lost === 0 && own.failed === 0 },
    },
    {
      section,
      name: `${name}: server CPU; RSS per follower`,
      value: own.cpuPercent,
      unit: '%',
      text: `${format(own.cpuPercent, '%')}; ${format(own.kbPerFollower)} KB/follower`,
      ...(broadcast
        ? {
            baseline: {
              label: 'broadcast, one process',
              value: broadcast.cpuPercent,
              text: `${format(broadcast.cpuPercent, '%')}; ${format(broadcast.kbPerFollower)} KB/follower`,
            },
            ratio: ratio(own.cpuPercent, broadcast.cpuPercent),
          }
        : {}),
    },
  ];
}

function growthFigures(growth: Growth | null, error: string | null): Figure[] {
  const section = 'hall';
  if (!growth) return [{ section, name: 'memory over a long run: could not measure', value: null, unit: '', text: error ?? '' }];
  const seconds = (ms: number): string => `${format(ms / 1000)} s`;
  const change = (values: number[]): string => {
    const d = values.at(-1)! - values[0]!;
    return `${values.map((v) => format(v)).join(' / ')} MB (${d >= 0 ? '+' : ''}${format(d)})`;
  };
  // Flat: what the heap gains beyond the run the server keeps once is under 1 KB a follower, or
  // under 1 MB in all (a heap read after a GC moves by a few hundred KB from one read to the next).
  const flatKB = 1;
  const noiseMB = 1;
  const beyondMB = (growth.kbPerFollowerGrowth * growth.followers) / 1024;
  const r = growth.result;
  return [
    {
      section,
      name: `one process, M=${format(growth.followers)}, ${seconds(growth.runMs)} run: heap; RSS at ${growth.at.map(seconds).join(' / ')} (after a GC)`,
      value: growth.kbPerFollowerGrowth,
      unit: 'KB',
      text: `heap ${change(growth.heapMB)}, RSS ${change(growth.rssMB)}; run kept meanwhile ${format(growth.keptBetweenMB)} MB; ${format(growth.kbPerFollowerGrowth)} KB/follower beyond it`,
      goal: { text: `flat per follower (< ${flatKB} KB, or < ${noiseMB} MB in all)`, met: growth.kbPerFollowerGrowth < flatKB || beyondMB < noiseMB },
    },
    {
      section,
      name: `one process, M=${format(growth.followers)}: memory per idle follower stream / per follower in a run`,
      value: r.kbPerIdleFollower,
      unit: 'KB',
      text: `RSS ${format(r.kbPerIdleFollower)} / ${format(r.kbPerFollower)} KB, heap ${format(r.heapKbPerIdleFollower)} KB idle`,
    },
  ];
}
