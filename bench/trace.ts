/**
 * Where the page's frame time goes: records Chromium performance traces of the page benches'
 * scenarios and breaks the renderer main thread's time down by category and by view.
 *
 * Run: npm run bench:trace [-- --only race,scrub,empty] [-- --seconds 30] [-- --no-ablate] [-- --keep DIR]
 * Prints Markdown tables; writes everything to bench/trace-results.json.
 *
 * Scenarios, driven exactly as bench/page.ts and bench/scrub.ts drive them (bench/pageDrive.ts):
 *   race   three lanes at 100 tokens/s for 30 s of tokens, traced from the moment the lanes are on screen
 *   scrub  a 10,000-chunk run (three lanes) dragged end to end in 200 steps, traced during the drag
 *   empty  the bench's empty page for min(10, seconds) s: the baseline, in the same run
 * Each runs in a fresh headless Chromium (tests/browser/browser.ts's flags: software rendering),
 * 1280×720, against a build made for this tool: the same vite.config.ts with `minify: false` and
 * source maps, so that profiler frames map back to client/src files. A non-minified bundle runs
 * the same code; V8 executes it at the same speed, but it is larger to parse (load is not traced).
 *
 * Method.
 * 1. Categories. Every complete event on the renderer's main thread (CrRendererMain) is nested by
 *    time; each event's self time (its duration minus its children's) goes to the category of its
 *    name (traceAnalyse.ts `byName`): FunctionCall, EvaluateScript, TimerFire, FireAnimationFrame,
 *    EventDispatch, RunMicrotasks, v8.* → script; UpdateLayoutTree → style; Layout, HitTest,
 *    intersection observation → layout; PrePaint, Paint, PaintImage → paint; Commit, Layerize,
 *    UpdateLayer(Tree), CompositeLayers → compositing; MinorGC, MajorGC, V8.GC*, BlinkGC* → gc.
 *    An unnamed child inherits its parent's category; a task's own time (scheduling, IPC) is
 *    "other". Per frame = total over the traced window / the animation frames the page's probe
 *    counted in it (bench/pageProbe.ts, the same rAF probe the page bench uses). Raster runs on
 *    worker threads (software raster) and is reported beside the main thread, not in it.
 *    Two clocks: wall time (an event's dur) and thread CPU time (its tdur: the time the thread
 *    actually ran). On a shared, loaded machine wall time includes waiting for a CPU, so the
 *    breakdown and the ablation use CPU time; an event without tdur gets its wall time times its
 *    parent's CPU share.
 * 2. Script by view: the V8 sampling profiler (disabled-by-default-v8.cpu_profiler) in the same
 *    trace. A sample is charged to the first frame, walking from the leaf towards the root, whose
 *    source file belongs to a view (traceAnalyse.ts `viewOfFile`): ChatBubble/Markdown* → bubbles,
 *    WireView/HeadersPanel/wireView/* → byte views, InFlight → in-flight wires,
 *    Timeline/TimelineRow/timeline*.ts → timeline, Lane.svelte → figures. Svelte runs a view's
 *    effects and deriveds inside closures its compiler puts in the component's file, so Svelte's
 *    runtime under a view's effect is charged to the view. Samples with no view frame go to the
 *    run model (client/src/run, transports, wire), the app shell, or "Svelte runtime" (the
 *    scheduler between effects). A derived value shared by views is charged to the first view
 *    that reads it in a frame.
 * 3. Rendering by view, by ablation: the same scenario again with one view hidden
 *    (`display: none` from a constructed stylesheet the bench adopts into the document; no app
 *    code changes; the timeline keeps its slider box so the scrub can still drag it), all
 *    without the profiler (lighter tracing), plus a run with nothing hidden under the same
 *    settings. A view's style/layout/paint/compositing cost is the run with nothing hidden minus
 *    the run with that view hidden, in thread CPU ms per frame drawn (the rendering lifecycle runs
 *    once a frame; a run with a view hidden draws more frames, so per second would undercount). Hiding a view also stops what it reads from the layout
 *    (bind:clientWidth reads 0), so its script changes too: the ablation's script delta is shown
 *    only as a cross-check. One run each: on a loaded machine a small delta is within noise (a
 *    negative one says so).
 * 4. Forced synchronous style/layout: UpdateLayoutTree and Layout events that carry a JS stack
 *    (disabled-by-default-devtools.timeline.stack) or sit inside a script event, by the first
 *    client/src frame of that stack, counting those inside a requestAnimationFrame callback.
 * 5. Long tasks: main-thread tasks over 50 ms (wall clock, as the Long Tasks API sees them),
 *    each with its category breakdown (wall ms) and its thread CPU time, attributed by CPU time
 *    to GC (half or more of it GC), the page's own work (half or more script/style/layout/paint/
 *    compositing), or else the browser; a task with under 50 ms on a CPU is "waiting for a CPU":
 *    long because the machine was busy, not because of what ran in it. With the top sampled JS
 *    inside it (profiled runs).
 * The machine is shared: the load average is recorded before and after every run.
 */
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import type { Browser, Page } from 'playwright-core';
import { launch, openPage } from '../tests/browser/browser.ts';
import { listen } from '../server/testing/listen.ts';
import { installProbe, readProbe, resetProbe, type FrameFigures } from './pageProbe.ts';
import { checkScrubbed, finishRace, prepareScrub, raceText, scrub, startRace } from './pageDrive.ts';
import { analyse, categories, SourceMapper, type Analysis, type ByCategory, type TraceEvent } from './traceAnalyse.ts';
import { format } from './figures.ts';

const scenarios = ['race', 'scrub', 'empty'] as const;
type Scenario = (typeof scenarios)[number];
const usage = `Usage: npm run bench:trace [-- --only race,scrub,empty] [-- --seconds 30] [-- --no-ablate] [-- --keep DIR] [-- --from DIR]
  --only LIST     scenarios to trace (default all)
  --seconds N     seconds of tokens in the race (default 30); the empty page runs min(10, N) s
  --no-ablate     skip the runs with one view hidden (per-view rendering cost)
  --keep DIR      also write every raw trace (JSON, ~100 MB each; opens in DevTools) and its frame figures into DIR
  --from DIR      measure nothing: analyse the traces a --keep run wrote (the build must be the same: same code)`;

let only: Scenario[] = [...scenarios];
let seconds = 30;
let ablate = true;
let keep: string | undefined;
let from: string | undefined;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i]!;
  if (arg === '--only') only = (argv[++i] ?? '').split(',').filter(Boolean) as Scenario[];
  else if (arg === '--seconds') seconds = Number(argv[++i]);
  else if (arg === '--no-ablate') ablate = false;
  else if (arg === '--keep') keep = argv[++i];
  else if (arg === '--from') from = argv[++i];
  else {
    console.error(`Unknown argument "${arg}".\n${usage}`);
    process.exit(2);
  }
}
if (!only.length || only.some((s) => !scenarios.includes(s)) || !(seconds > 0)) {
  console.error(usage);
  process.exit(2);
}

/** The views, and the CSS that hides each one for the ablation runs. */
const hide: Record<string, string> = {
  bubbles: '.lane .chat { display: none !important; }',
  'byte views': '.lane .tabs, .lane .panel { display: none !important; }',
  'in-flight wires': 'section.in-flight { display: none !important; }',
  // The slider keeps its box (the grid's svg sizes it) so the scrub can still drag it.
  timeline: '.timeline .rows, .timeline svg.cursor { display: none !important; } .timeline .slider > svg:not(.cursor) { visibility: hidden !important; }',
  'figures (lane)': '.lane dl.figures { display: none !important; }',
};

const light = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'disabled-by-default-devtools.timeline.frame', 'toplevel', 'v8.execute'];
const profiled = [...light, 'disabled-by-default-devtools.timeline.stack', 'disabled-by-default-v8.cpu_profiler'];

const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const cpu = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}`;
const log = (line: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

log(`bench:trace ${only.join(', ')}, ${seconds} s race, ablation ${ablate ? 'on' : 'off'}, on ${cpu}, load average ${load()}`);
if (keep) mkdirSync(keep, { recursive: true });
const staticDir = from ? path.join(from, 'build') : keep ? path.join(keep, 'build') : mkdtempSync(path.join(os.tmpdir(), 'streamscope-trace-'));
if (!from) {
  log('building the page (minify: false, source maps)');
  await build({
    configFile: path.resolve(import.meta.dirname, '../vite.config.ts'),
    logLevel: 'silent',
    build: { outDir: staticDir, emptyOutDir: true, minify: false, sourcemap: true },
  });
}
const server = from ? undefined : await listen({ staticDir });
const mapper = new SourceMapper(staticDir);
const { text } = raceText(seconds);

interface Recorded {
  scenario: Scenario;
  hidden: string | null;
  profiled: boolean;
  loadBefore: string;
  loadAfter: string;
  frames: FrameFigures;
}
interface Run extends Recorded {
  analysis: Analysis;
}

function analysed(recorded: Recorded, buffer: Buffer): Run {
  const parsed = JSON.parse(buffer.toString('utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : parsed.traceEvents;
  const analysis = analyse(events, mapper);
  log(
    `  ${recorded.frames.frames} frames, p95 ${recorded.frames.frameP95} ms, ${events.length} trace events, main thread busy ${analysis.busyMs.toFixed(0)} ms (${analysis.busyCpuMs.toFixed(0)} ms on a CPU) of ${analysis.windowMs.toFixed(0)} ms`,
  );
  return { ...recorded, analysis };
}
const fileName = (r: { scenario: string; hidden: string | null; profiled: boolean }): string =>
  `${r.scenario}${r.hidden ? `-no-${r.hidden.replace(/\W+/g, '-')}` : ''}${r.profiled ? '-profiled' : ''}`;

async function traced(scenario: Scenario, hidden: string | null, withProfiler: boolean): Promise<Run> {
  const loadBefore = load();
  log(`${scenario}${hidden ? `, ${hidden} hidden` : ''}${withProfiler ? ', with the JS profiler' : ''}: load average ${loadBefore}`);
  const browser: Browser = await launch();
  try {
    const page: Page = await openPage(browser, []);
    await installProbe(page);
    let act: () => Promise<void>;
    if (scenario === 'race') {
      await startRace(page, server!.url, text);
      act = () => finishRace(page, seconds);
    } else if (scenario === 'scrub') {
      const setup = await prepareScrub(page, server!.url);
      act = async () => {
        await scrub(page, setup);
      };
    } else {
      await page.goto('data:text/html,<!doctype html><title>idle</title><p>idle');
      act = () => page.waitForTimeout(Math.min(10, seconds) * 1000);
    }
    if (hidden) {
      await page.evaluate((css) => {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(css);
        document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
      }, hide[hidden]!);
    }
    await browser.startTracing(page, { categories: withProfiler ? profiled : light, screenshots: false });
    await resetProbe(page);
    await act();
    const frames = await readProbe(page);
    const buffer = await browser.stopTracing();
    if (scenario === 'scrub') await checkScrubbed(page);
    const loadAfter = load();
    const recorded: Recorded = { scenario, hidden, profiled: withProfiler, loadBefore, loadAfter, frames };
    log(`  load average after ${loadAfter}`);
    if (keep) {
      writeFileSync(path.join(keep, `${fileName(recorded)}.json`), buffer);
      writeFileSync(path.join(keep, `${fileName(recorded)}.run.json`), JSON.stringify(recorded));
    }
    return analysed(recorded, buffer);
  } finally {
    await browser.close();
  }
}

const runs: Run[] = [];
if (from) {
  for (const name of readdirSync(from)
    .filter((n) => n.endsWith('.run.json'))
    .sort()) {
    const recorded = JSON.parse(readFileSync(path.join(from, name), 'utf8')) as Recorded;
    if (!only.includes(recorded.scenario) || (!ablate && recorded.hidden)) continue;
    log(`analysing ${name.replace('.run.json', '.json')}`);
    runs.push(analysed(recorded, readFileSync(path.join(from, name.replace('.run.json', '.json')))));
  }
  // In the order a recording makes them.
  const order = (r: Run) => only.indexOf(r.scenario) * 100 + (r.hidden ? 2 + Object.keys(hide).indexOf(r.hidden) : r.profiled ? 1 : 0);
  runs.sort((a, b) => order(a) - order(b));
} else {
  try {
    for (const scenario of only) {
      runs.push(await traced(scenario, null, false));
      if (scenario === 'empty') continue;
      runs.push(await traced(scenario, null, true));
      if (ablate) for (const view of Object.keys(hide)) runs.push(await traced(scenario, view, false));
    }
  } finally {
    await server!.close();
  }
}

// ---- Report -------------------------------------------------------------------------------
const perFrame = (run: Run, ms: number): number => ms / Math.max(1, run.frames.frames);
const mdTable = (rows: string[][]): string => {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => (cell ?? '').padEnd(widths[c]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
};
const f2 = (v: number): string => format(+v.toFixed(2));
const out: string[] = [];
out.push(`Traced on ${cpu}, headless Chromium (software rendering), 1280×720; ${new Date().toISOString()}.`);
out.push('');
const base = runs.filter((r) => !r.hidden && !r.profiled);
out.push('### Main thread per frame, by category: thread CPU time (ms per animation frame; traced without the JS profiler)');
out.push('');
out.push('CPU time is what the work cost whatever else the machine ran; wall time (next table) adds the waits for a CPU.');
out.push('');
out.push(
  mdTable([
    ['scenario', 'frames', 'frames / s', 'frame p95', ...categories, 'total on a CPU', 'load avg before → after'],
    ...base.map((r) => [
      r.scenario,
      String(r.frames.frames),
      String(r.frames.framesPerSecond ?? +((1000 * r.frames.frames) / r.analysis.windowMs).toFixed(1)),
      `${r.frames.frameP95} ms`,
      ...categories.map((c) => f2(perFrame(r, r.analysis.totalCpu[c]))),
      `${f2(perFrame(r, r.analysis.busyCpuMs))} (${((100 * r.analysis.busyCpuMs) / r.analysis.windowMs).toFixed(0)} % of ${(r.analysis.windowMs / 1000).toFixed(1)} s)`,
      `${r.loadBefore.split(' ')[0]} → ${r.loadAfter.split(' ')[0]}`,
    ]),
  ]),
);
out.push('');
out.push('### Main thread per frame, by category: wall time (ms per animation frame)');
out.push('');
out.push(
  mdTable([
    ['scenario', 'frames', 'frame p95', ...categories, 'main thread busy', 'raster (workers)', 'load avg before → after'],
    ...base.map((r) => [
      r.scenario,
      String(r.frames.frames),
      `${r.frames.frameP95} ms`,
      ...categories.map((c) => f2(perFrame(r, r.analysis.total[c]))),
      `${f2(perFrame(r, r.analysis.busyMs))} (${((100 * r.analysis.busyMs) / r.analysis.windowMs).toFixed(0)} % of ${(r.analysis.windowMs / 1000).toFixed(1)} s)`,
      f2(perFrame(r, r.analysis.rasterMs)),
      `${r.loadBefore.split(' ')[0]} → ${r.loadAfter.split(' ')[0]}`,
    ]),
  ]),
);
for (const scenario of only.filter((s) => s !== 'empty')) {
  const full = runs.find((r) => r.scenario === scenario && r.profiled);
  const none = runs.find((r) => r.scenario === scenario && !r.profiled && !r.hidden);
  if (!full || !none) continue;
  out.push('');
  out.push(`### ${scenario}: script by view (V8 sampling profiler, ${full.analysis.sampleIntervalUs} µs interval; ${full.frames.frames} frames)`);
  out.push('');
  const js = Object.values(full.analysis.scriptByView).reduce((a, b) => a + b, 0);
  out.push(
    mdTable([
      ['charged to', 'ms', 'ms / frame', 'share of sampled JS'],
      ...Object.entries(full.analysis.scriptByView).map(([v, ms]) => [v, format(ms), f2(perFrame(full, ms)), `${((100 * ms) / js).toFixed(1)} %`]),
    ]),
  );
  const ablations = runs.filter((r) => r.scenario === scenario && r.hidden);
  if (ablations.length) {
    out.push('');
    out.push(`### ${scenario}: rendering by view (ablation: the run with nothing hidden minus the run with the view hidden, thread CPU ms per frame)`);
    out.push('');
    // Thread CPU time (the ablation runs follow each other minutes apart on a shared machine), per
    // frame drawn: the rendering lifecycle runs once a frame, and a run that draws more frames
    // (because a view is hidden) does more of it per second.
    const rate = (r: Run, c: keyof ByCategory | 'render'): number => {
      const t = r.analysis.totalCpu;
      return (c === 'render' ? t.style + t.layout + t.paint + t.compositing : t[c]) / Math.max(1, r.frames.frames);
    };
    const toFrame = 1;
    const cols = ['style', 'layout', 'paint', 'compositing', 'render'] as const;
    const totalRender = rate(none, 'render') * toFrame;
    out.push(
      mdTable([
        [
          'view hidden',
          'style',
          'layout',
          'paint',
          'compositing',
          'rendering total',
          'share of rendering',
          'script (cross-check)',
          'frame p95 with it hidden',
          'load avg',
        ],
        [
          '(none: reference)',
          ...cols.map((c) => f2(rate(none, c) * toFrame)),
          '100 %',
          f2(rate(none, 'script') * toFrame),
          `${none.frames.frameP95} ms`,
          none.loadBefore.split(' ')[0]!,
        ],
        ...ablations.map((r) => {
          const d = (c: (typeof cols)[number] | 'script') => (rate(none, c) - rate(r, c)) * toFrame;
          return [
            r.hidden!,
            ...cols.map((c) => f2(d(c))),
            `${((100 * d('render')) / totalRender).toFixed(0)} %`,
            f2(d('script')),
            `${r.frames.frameP95} ms`,
            r.loadBefore.split(' ')[0]!,
          ];
        }),
      ]),
    );
  }
  out.push('');
  out.push(`### ${scenario}: top functions by self time (profiled run)`);
  out.push('');
  out.push(
    mdTable([
      ['function', 'file:line', 'view', 'self ms', 'ms / frame'],
      ...full.analysis.topFunctions.slice(0, 15).map((f) => [f.name, `${f.file}:${f.line}`, f.view, format(f.ms), f2(perFrame(full, f.ms))]),
    ]),
  );
  out.push('');
  out.push(`### ${scenario}: style and layout forced by JS (profiled run)`);
  out.push('');
  out.push(
    full.analysis.forced.length
      ? mdTable([
          ['event', 'asked for by', 'view', 'count', 'in a rAF callback', 'ms'],
          ...full.analysis.forced.map((f) => [f.kind, f.at, f.view, String(f.count), String(f.inAnimationFrame), format(f.ms)]),
        ])
      : 'none',
  );
}
out.push('');
out.push('### Long tasks (> 50 ms)');
out.push('');
out.push(
  'The long tasks of the reference runs (nothing hidden) with over 50 ms on a CPU; every run, and the tasks long only by waiting for a CPU, are counted in the table after.',
);
out.push('');
const lt = runs.filter((r) => !r.hidden).flatMap((r) => r.analysis.longTasks.filter((t) => t.cpuMs > 50).map((t) => ({ r, t })));
out.push(
  lt.length
    ? mdTable([
        ['run', 'at', 'ms (on a CPU)', 'attributed to', 'script / style / layout / paint / compositing / gc / other', 'top JS inside'],
        ...lt.map(({ r, t }) => [
          `${r.scenario}${r.hidden ? ` (${r.hidden} hidden)` : ''}${r.profiled ? ' (profiled)' : ''}`,
          `${(t.startMs / 1000).toFixed(1)} s`,
          `${Math.round(t.ms)} (${Math.round(t.cpuMs)})`,
          t.attributedTo,
          [
            t.byCategory.script,
            t.byCategory.style,
            t.byCategory.layout,
            t.byCategory.paint,
            t.byCategory.compositing,
            t.byCategory.gc,
            t.byCategory.other + t.byCategory.parse,
          ]
            .map((v) => v.toFixed(0))
            .join(' / '),
          t.topJs.join('; ') || '—',
        ]),
      ])
    : 'none',
);
out.push('');
out.push(
  mdTable([
    ['run', 'long tasks', 'longest (ms)', "the page's own work", 'GC', 'browser', 'waiting for a CPU (< 50 ms on one)', 'most CPU in one task (ms)'],
    ...runs.map((r) => {
      const tasks = r.analysis.longTasks;
      const n = (what: string) => String(tasks.filter((t) => t.attributedTo.startsWith(what)).length);
      return [
        `${r.scenario}${r.hidden ? ` (${r.hidden} hidden)` : ''}${r.profiled ? ' (profiled)' : ''}`,
        String(tasks.length),
        String(Math.round(Math.max(0, ...tasks.map((t) => t.ms)))),
        n('the page'),
        n('GC'),
        n('browser'),
        n('waiting'),
        String(Math.round(Math.max(0, ...tasks.map((t) => t.cpuMs)))),
      ];
    }),
  ]),
);
const report = out.join('\n');
console.log(report);
const file = path.join(import.meta.dirname, 'trace-results.json');
writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), cpu, seconds, runs, report }, null, 2)}\n`);
log(`written to ${path.relative(process.cwd(), file)}; load average ${load()}`);
