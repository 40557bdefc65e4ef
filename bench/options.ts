/** What `npm run bench` measures and for how long: the full run, or `--quick` for development. */

export const sectionNames = ['capacity', 'tap', 'bytes', 'tls', 'page', 'bundle', 'hall'] as const;
export type SectionName = (typeof sectionNames)[number];

export interface BenchConfig {
  quick: boolean;
  /** The sections to run, in this order. */
  sections: SectionName[];
  /** Concurrent streams per step, climbed until a target fails. */
  ladder: number[];
  /** Tokens per second of every benchmarked stream. */
  tps: number;
  /** Streams start spread over this many ms, then all of them stream for holdMs. */
  rampMs: number;
  holdMs: number;
  /** ms a stream may run past its schedule before its missing tokens count as lost. */
  graceMs: number;
  /** A step holds while p99 lateness stays under this. */
  p99LimitMs: number;
  /** Streams of the tap-cost load. */
  tapStreams: number;
  /** Seconds of racing in the page benchmark (bench/page.ts). */
  pageSeconds: number;
  /** Run bench/scrub.ts (a 10,000-token race and a scrub: about a minute). */
  scrub: boolean;
  /** Times the page section runs the empty page, the race and the scrub; it reports the median of each figure. */
  repeats: number;
  /** The hall (bench/hall/): followers watching the presenter's broadcast run, climbed until a rung fails. */
  hall: HallConfig;
}

export interface HallConfig {
  /** Followers per rung. */
  ladder: number[];
  /** Tokens per second of each of the step's four lanes. */
  tps: number;
  /** Followers connect spread over this many ms, before the presenter starts. */
  rampMs: number;
  /** ms of the presenter's run at each rung (first token to last). */
  runMs: number;
  /** ms after the last batch in which every follower must have had it, or the missing batches count as lost. */
  graceMs: number;
  /** A rung holds while p99 delivery lateness stays under this, with nothing lost. */
  p99LimitMs: number;
  /** The longer run, at `growthFollowers`, that checks memory does not grow with the run's length. */
  longRunMs: number;
  growthFollowers: number;
  /** Load processes the followers are split over (the presenter runs in the first). */
  loadProcesses: number;
  /**
   * Batches sent in the run's first this many ms are its warm-up: their lateness is reported
   * apart, not in the p99 a rung is judged by (their loss still counts).
   */
  warmupMs: number;
}

const full: Omit<BenchConfig, 'quick' | 'sections'> = {
  ladder: [250, 500, 1000, 2000, 4000],
  tps: 20,
  rampMs: 1000,
  holdMs: 5000,
  graceMs: 5000,
  p99LimitMs: 50,
  tapStreams: 1000,
  pageSeconds: 30,
  scrub: true,
  repeats: 3,
  hall: {
    ladder: [250, 500, 1000, 2000, 4000],
    tps: 50,
    rampMs: 2000,
    runMs: 10_000,
    graceMs: 5000,
    p99LimitMs: 100,
    longRunMs: 60_000,
    growthFollowers: 1000,
    loadProcesses: 2,
    warmupMs: 1000,
  },
};

const quick: Omit<BenchConfig, 'quick' | 'sections'> = {
  ...full,
  ladder: [100, 250, 500],
  rampMs: 500,
  holdMs: 2000,
  graceMs: 3000,
  tapStreams: 250,
  pageSeconds: 5,
  scrub: false,
  repeats: 1,
  hall: { ...full.hall, ladder: [50, 100], rampMs: 500, runMs: 3000, graceMs: 3000, longRunMs: 10_000, growthFollowers: 100 },
};

export const usage = `Usage: npm run bench [-- --quick] [-- --only ${sectionNames.join(',')}] [-- --repeats N]
  --quick        a short run for development: small ladders, short holds, 5 s page race, no scrub
  --only LIST    run only these sections (comma-separated)
  --hall-load-processes N
                 split the hall's followers over N load processes (default 2)
  --repeats N    run the page section's empty page, race and scrub N times and report the median
                 of each figure (default 3, or 1 with --quick)`;

/** A count option's value: a whole number of at least 1, or a message naming the option. */
function atLeastOne(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs a whole number of at least 1, not "${text ?? ''}".\n${usage}`);
  return n;
}

/** Reads the command line; throws a message that says what is wrong and what is accepted. */
export function parseArgs(args: readonly string[]): BenchConfig {
  let isQuick = false;
  let repeats: number | undefined;
  let loadProcesses: number | undefined;
  let sections: SectionName[] = [...sectionNames];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    /** Whether `arg` is option `name`, as `name value` or `name=value`. */
    const is = (name: string) => arg === name || arg.startsWith(`${name}=`);
    /** The value of option `name` (the next argument, or what follows the `=`). */
    const value = (name: string) => (arg === name ? args[++i] : arg.slice(name.length + 1));
    if (arg === '--quick') isQuick = true;
    else if (is('--only')) {
      const list = value('--only');
      if (!list) throw new Error(`--only needs a list of sections.\n${usage}`);
      const wanted = list.split(',').map((s) => s.trim());
      const unknown = wanted.filter((s) => !(sectionNames as readonly string[]).includes(s));
      if (unknown.length) throw new Error(`Unknown section ${unknown.join(', ')}; the sections are ${sectionNames.join(', ')}.\n${usage}`);
      sections = sectionNames.filter((s) => wanted.includes(s));
    } else if (is('--repeats')) repeats = atLeastOne('--repeats', value('--repeats'));
    else if (is('--hall-load-processes')) loadProcesses = atLeastOne('--hall-load-processes', value('--hall-load-processes'));
    else throw new Error(`Unknown argument "${arg}".\n${usage}`);
  }
  const chosen = isQuick ? quick : full;
  const config = { quick: isQuick, sections, ...chosen, hall: { ...chosen.hall, ...(loadProcesses === undefined ? {} : { loadProcesses }) } };
  return repeats === undefined ? config : { ...config, repeats };
}
