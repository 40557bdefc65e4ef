/**
 * Reads a Chromium performance trace (the JSON `browser.stopTracing()` returns) of the page's
 * renderer and breaks its main-thread time down. Used by bench/trace.ts; the method is explained
 * at the top of that file.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';

export const categories = ['script', 'style', 'layout', 'paint', 'compositing', 'gc', 'parse', 'other'] as const;
export type Category = (typeof categories)[number];
/** What the page makes the renderer do (script and rendering); gc, parse and other are reported beside it. */
export const renderCategories: readonly Category[] = ['style', 'layout', 'paint', 'compositing'];

/** Trace event names → category. A name not here takes its parent's category (RunTask's own time is "other"). */
const byName: Record<string, Category> = {
  FunctionCall: 'script',
  EvaluateScript: 'script',
  TimerFire: 'script',
  FireAnimationFrame: 'script',
  FireIdleCallback: 'script',
  EventDispatch: 'script',
  RunMicrotasks: 'script',
  'V8.Execute': 'script',
  'v8.execute': 'script',
  'v8.run': 'script',
  'v8.callFunction': 'script',
  'v8.compile': 'script',
  'v8.compileModule': 'script',
  'v8.evaluateModule': 'script',
  'V8.CompileCode': 'script',
  XHRReadyStateChange: 'script',
  XHRLoad: 'script',
  ResizeObserverCallback: 'script',
  UpdateLayoutTree: 'style',
  RecalculateStyles: 'style',
  ParseAuthorStyleSheet: 'style',
  Layout: 'layout',
  'LocalFrameView::RunPostLifecycleSteps': 'layout',
  'IntersectionObserverController::computeIntersections': 'layout',
  ComputeIntersections: 'layout',
  HitTest: 'layout',
  PrePaint: 'paint',
  Paint: 'paint',
  PaintImage: 'paint',
  PaintSetup: 'paint',
  'Decode Image': 'paint',
  Commit: 'compositing',
  CompositeLayers: 'compositing',
  UpdateLayer: 'compositing',
  UpdateLayerTree: 'compositing',
  ScrollLayer: 'compositing',
  Layerize: 'compositing',
  'PaintArtifactCompositor::Update': 'compositing',
  'LayerTreeHost::UpdateLayers': 'compositing',
  MinorGC: 'gc',
  MajorGC: 'gc',
  ParseHTML: 'parse',
};
function categoryOf(name: string): Category | undefined {
  const known = byName[name];
  if (known) return known;
  if (name.startsWith('V8.GC') || name.startsWith('BlinkGC') || name.startsWith('CppGC') || name.startsWith('MinorMS') || name.includes('GarbageCollect'))
    return 'gc';
  return undefined;
}
const isTask = (name: string): boolean => name === 'RunTask' || name === 'ThreadControllerImpl::RunTask';

export interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  tts?: number;
  tdur?: number;
  id?: string;
  cat?: string;
  args?: Record<string, any>;
}

interface Node {
  ev: TraceEvent;
  start: number;
  end: number;
  /** Thread CPU time (tdur) in µs; estimated from the wall time and the parent's CPU share when the event has none. */
  cpu: number;
  category: Category;
  self: number;
  selfCpu: number;
  children: Node[];
  parent?: Node;
}

export type ByCategory = Record<Category, number>;
const zero = (): ByCategory => Object.fromEntries(categories.map((c) => [c, 0])) as ByCategory;

/** A JS frame: where a function starts, in the served bundle and (through the source map) in client/src. */
export interface Frame {
  functionName: string;
  url: string;
  line: number;
  column: number;
}

/** Maps bundle positions to source files through the build's source maps. */
export class SourceMapper {
  private maps = new Map<string, TraceMap | null>();
  constructor(private readonly staticDir: string) {}
  /** "client/src/components/Lane.svelte:120", "svelte/src/internal/...:12", or the URL when there is no map. */
  locate(frame: Frame): { file: string; line: number; name: string } {
    if (!frame.url) return { file: frame.functionName.startsWith('(') ? frame.functionName : '(native)', line: 0, name: frame.functionName };
    let map = this.maps.get(frame.url);
    if (map === undefined) {
      map = null;
      try {
        const file = path.join(this.staticDir, new URL(frame.url).pathname);
        if (existsSync(`${file}.map`)) map = new TraceMap(readFileSync(`${file}.map`, 'utf8'));
      } catch {
        map = null;
      }
      this.maps.set(frame.url, map);
    }
    if (!map) return { file: frame.url.replace(/^https?:\/\/[^/]+\//, ''), line: frame.line + 1, name: frame.functionName };
    const pos = originalPositionFor(map, { line: frame.line + 1, column: Math.max(0, frame.column) });
    if (!pos.source) return { file: frame.url.replace(/^https?:\/\/[^/]+\//, ''), line: frame.line + 1, name: frame.functionName };
    return { file: shortSource(pos.source), line: pos.line ?? 0, name: frame.functionName || pos.name || '(anonymous)' };
  }
}
function shortSource(source: string): string {
  const nm = source.lastIndexOf('node_modules/');
  if (nm >= 0) return source.slice(nm + 'node_modules/'.length);
  const src = source.indexOf('client/src/');
  if (src >= 0) return source.slice(src);
  return source.replace(/^(\.\.\/)+/, '').replace(/^src\//, 'client/src/');
}

/** The views the issue names, and what else runs: by the source file of a JS frame. */
export const views = ['bubbles', 'byte views', 'in-flight wires', 'timeline', 'figures (lane)'] as const;
export function viewOfFile(file: string): string | undefined {
  const f = file.replace(/^client\/src\//, '');
  if (/^components\/(ChatBubble|MarkdownView|MarkdownBlock)\.svelte$|^components\/(bubble|markdown)\w*\.ts$/.test(f)) return 'bubbles';
  if (/^components\/(WireView|HeadersPanel)\.svelte$|^components\/wireView\//.test(f)) return 'byte views';
  if (/^components\/(InFlight\.svelte|inFlightModel\.ts)$/.test(f)) return 'in-flight wires';
  if (/^components\/(Timeline|TimelineRow)\.svelte$|^components\/(timeline\w*|textWidth)\.ts$/.test(f)) return 'timeline';
  if (/^components\/Lane\.svelte$|^run\/laneFigures\.ts$/.test(f)) return 'figures (lane)';
  return undefined;
}
function groupOfFile(file: string): string {
  if (file.startsWith('client/src/run/') || file.startsWith('client/src/transports/') || file.startsWith('client/src/wire/'))
    return 'run model, transports, dissectors';
  if (file.startsWith('client/src/')) return 'app shell (App, Visualizer, controls)';
  if (file.startsWith('svelte/')) return 'Svelte runtime (no app frame on the stack)';
  if (file.startsWith('(garbage collector)')) return '(garbage collector)';
  if (file.startsWith('(')) return file;
  return 'other JS (libraries, bench probe)';
}

export interface Profile {
  /** Per sample: its time and the leaf node's id. */
  times: number[];
  leaves: number[];
  nodes: Map<number, { frame: Frame; parent?: number }>;
}

/** The V8 sampling profile of the main thread, from the trace's Profile/ProfileChunk events. */
function readProfile(events: TraceEvent[], pid: number, tid: number): Profile | undefined {
  const byId = new Map<string, { start: number; pid: number; tid: number; profile: Profile }>();
  for (const ev of events) {
    if (ev.name === 'Profile' && ev.id)
      byId.set(ev.id, { start: ev.args?.data?.startTime ?? ev.ts, pid: ev.pid, tid: ev.tid, profile: { times: [], leaves: [], nodes: new Map() } });
  }
  for (const ev of events) {
    if (ev.name !== 'ProfileChunk' || !ev.id) continue;
    const p = byId.get(ev.id);
    if (!p) continue;
    const data = ev.args?.data ?? {};
    for (const n of data.cpuProfile?.nodes ?? []) {
      const cf = n.callFrame ?? {};
      p.profile.nodes.set(n.id, {
        frame: { functionName: cf.functionName ?? '', url: cf.url ?? '', line: cf.lineNumber ?? 0, column: cf.columnNumber ?? 0 },
        parent: n.parent,
      });
    }
    const samples: number[] = data.cpuProfile?.samples ?? [];
    const deltas: number[] = data.timeDeltas ?? [];
    let t = p.profile.times.at(-1) ?? p.start;
    for (let i = 0; i < samples.length; i++) {
      t += deltas[i] ?? 0;
      p.profile.times.push(t);
      p.profile.leaves.push(samples[i]!);
    }
  }
  const candidates = [...byId.values()].filter((p) => p.profile.times.length);
  const same =
    candidates.find((p) => p.pid === pid && p.tid === tid) ??
    candidates.filter((p) => p.pid === pid).sort((a, b) => b.profile.times.length - a.profile.times.length)[0];
  if (!same) return undefined;
  // Samples come in time order per chunk; sort in case chunks interleave.
  const order = same.profile.times.map((_, i) => i).sort((a, b) => same.profile.times[a]! - same.profile.times[b]!);
  return { times: order.map((i) => same.profile.times[i]!), leaves: order.map((i) => same.profile.leaves[i]!), nodes: same.profile.nodes };
}

export interface LongTask {
  startMs: number;
  ms: number;
  /** Of which the thread ran on a CPU (the rest it waited for one). */
  cpuMs: number;
  byCategory: ByCategory;
  /** The page's own work, GC, or the browser (task overhead, IPC), by CPU time; "waiting for a CPU" when under 50 ms of it ran on one. */
  attributedTo: string;
  /** Top JS by sampled time inside the task (view: function file:line). */
  topJs: string[];
}

export interface Analysis {
  windowMs: number;
  /** Main-thread self time (wall clock) by category over the window. */
  total: ByCategory;
  /** The same in thread CPU time: what the work cost, whatever else the machine ran meanwhile. */
  totalCpu: ByCategory;
  /** Renderer main-thread busy time (top-level tasks), wall clock and thread CPU. */
  busyMs: number;
  busyCpuMs: number;
  /** Raster work off the main thread (software raster on worker threads). */
  rasterMs: number;
  longTasks: LongTask[];
  /** Sampled JS time by view (or by group when no view's code is on the stack). */
  scriptByView: Record<string, number>;
  /** Self time by function. */
  topFunctions: { name: string; file: string; line: number; ms: number; view: string }[];
  /** Layouts and style recalcs forced by JS: the JS frame that asked, with count and ms. */
  forced: { kind: string; at: string; view: string; count: number; ms: number; inAnimationFrame: number }[];
  sampleIntervalUs: number;
}

export function analyse(events: TraceEvent[], mapper: SourceMapper): Analysis {
  // The page's renderer main thread: the CrRendererMain of the process that hosts the traced
  // page's main frame (not the browser's own WebUI renderer), else the one with the most work.
  const mains = new Map<string, number>();
  const names = new Map<string, string>();
  for (const ev of events) if (ev.ph === 'M' && ev.name === 'thread_name') names.set(`${ev.pid}:${ev.tid}`, ev.args?.name);
  for (const ev of events) {
    const key = `${ev.pid}:${ev.tid}`;
    if (ev.ph === 'X' && names.get(key) === 'CrRendererMain') mains.set(key, (mains.get(key) ?? 0) + (ev.dur ?? 0));
  }
  const started = events.find((ev) => ev.name === 'TracingStartedInBrowser');
  const pagePid: number | undefined = (started?.args?.data?.frames ?? []).find((f: any) => f.isInPrimaryMainFrame || f.isOutermostMainFrame)?.processId;
  const mainKey =
    [...mains.keys()].find((k) => pagePid !== undefined && k.startsWith(`${pagePid}:`)) ?? [...mains.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (!mainKey) throw new Error('No renderer main thread in the trace.');
  const [pid, tid] = mainKey.split(':').map(Number) as [number, number];
  const own = events.filter((ev) => ev.pid === pid && ev.tid === tid && (ev.ph === 'X' || ev.ph === 'B' || ev.ph === 'E'));

  // Complete events (X, and B/E pairs) nested by time.
  const spans: { ev: TraceEvent; start: number; end: number; cpu?: number }[] = [];
  const open: TraceEvent[] = [];
  for (const ev of own.sort((a, b) => a.ts - b.ts)) {
    if (ev.ph === 'X') spans.push({ ev, start: ev.ts, end: ev.ts + (ev.dur ?? 0), cpu: ev.tdur });
    else if (ev.ph === 'B') open.push(ev);
    else if (ev.ph === 'E') {
      const i = open.map((o) => o.name).lastIndexOf(ev.name);
      const b = i >= 0 ? open.splice(i, 1)[0]! : open.pop();
      if (b)
        spans.push({
          ev: { ...b, args: { ...b.args, ...ev.args } },
          start: b.ts,
          end: ev.ts,
          cpu: b.tts !== undefined && ev.tts !== undefined ? ev.tts - b.tts : undefined,
        });
    }
  }
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const roots: Node[] = [];
  const stack: Node[] = [];
  for (const s of spans) {
    while (stack.length && stack.at(-1)!.end <= s.start) stack.pop();
    const parent = stack.at(-1);
    // Only events inside their parent nest (a rare overlap is treated as a sibling).
    const nested = parent && s.end <= parent.end + 1 ? parent : undefined;
    const category = categoryOf(s.ev.name) ?? nested?.category ?? 'other';
    const wall = s.end - s.start;
    const share = nested && nested.end > nested.start ? Math.min(1, nested.cpu / (nested.end - nested.start)) : 1;
    const cpu = Math.min(wall, s.cpu ?? wall * share);
    const node: Node = { ev: s.ev, start: s.start, end: s.end, cpu, category, self: wall, selfCpu: cpu, children: [], parent: nested };
    if (nested) {
      nested.children.push(node);
      nested.self -= wall;
      nested.selfCpu -= cpu;
    } else roots.push(node);
    if (!nested) stack.length = 0;
    stack.push(node);
  }
  const windowStart = roots[0]?.start ?? 0;
  const windowEnd = Math.max(...roots.map((r) => r.end));

  const sum = (node: Node, into: ByCategory): void => {
    into[node.category] += Math.max(0, node.self) / 1000;
    for (const c of node.children) sum(c, into);
  };
  const sumCpu = (node: Node, into: ByCategory): void => {
    into[node.category] += Math.max(0, node.selfCpu) / 1000;
    for (const c of node.children) sumCpu(c, into);
  };
  const total = zero();
  for (const r of roots) sum(r, total);
  const totalCpu = zero();
  for (const r of roots) sumCpu(r, totalCpu);
  const busyMs = roots.reduce((t, r) => t + (r.end - r.start), 0) / 1000;
  const busyCpuMs = roots.reduce((t, r) => t + r.cpu, 0) / 1000;

  let rasterMs = 0;
  for (const ev of events) if (ev.pid === pid && ev.ph === 'X' && ev.name === 'RasterTask') rasterMs += (ev.dur ?? 0) / 1000;

  // JS samples: each sample stands for the time to the next one.
  const profile = readProfile(events, pid, tid);
  const located = new Map<number, { file: string; line: number; name: string }>();
  const locate = (id: number) => {
    let l = located.get(id);
    if (!l) located.set(id, (l = mapper.locate(profile!.nodes.get(id)!.frame)));
    return l;
  };
  const viewOfNode = new Map<number, string>();
  const viewOf = (leaf: number): string => {
    const cached = viewOfNode.get(leaf);
    if (cached) return cached;
    let firstApp: string | undefined;
    let firstKnown: string | undefined;
    let leafFile: string | undefined;
    let view: string | undefined;
    for (let id: number | undefined = leaf; id !== undefined; id = profile!.nodes.get(id)?.parent) {
      const { file } = locate(id);
      leafFile ??= file;
      view = viewOfFile(file);
      if (view) break;
      if (!firstApp && file.startsWith('client/src/')) firstApp = file;
      if (!firstKnown && !file.startsWith('(')) firstKnown = file;
    }
    const result = view ?? groupOfFile(firstApp ?? firstKnown ?? leafFile ?? '(unknown)');
    viewOfNode.set(leaf, result);
    return result;
  };
  const scriptByView: Record<string, number> = {};
  const selfByFn = new Map<string, { name: string; file: string; line: number; ms: number; view: string }>();
  let intervals = 0;
  let intervalSum = 0;
  const jsInTask = (start: number, end: number): Map<string, number> => {
    const out = new Map<string, number>();
    if (!profile) return out;
    for (let i = lowerBound(profile.times, start); i < profile.times.length && profile.times[i]! < end; i++) {
      const leaf = profile.leaves[i]!;
      const l = locate(leaf);
      if (l.file === '(idle)' || l.file === '(program)') continue;
      const dt = ((profile.times[i + 1] ?? profile.times[i]!) - profile.times[i]!) / 1000;
      const key = `${viewOf(leaf)}: ${l.name || '(anonymous)'} ${l.file}:${l.line}`;
      out.set(key, (out.get(key) ?? 0) + Math.min(dt, 5));
    }
    return out;
  };
  if (profile) {
    for (let i = 0; i + 1 < profile.times.length; i++) {
      const dt = (profile.times[i + 1]! - profile.times[i]!) / 1000;
      if (dt > 0 && dt < 5) {
        intervals++;
        intervalSum += dt;
      }
      if (profile.times[i]! < windowStart || profile.times[i]! > windowEnd) continue;
      const leaf = profile.leaves[i]!;
      const l = locate(leaf);
      if (l.file === '(idle)' || l.file === '(program)') continue;
      // A gap (the profiler paused) does not count as time in the function.
      const ms = Math.min(dt, 5);
      const view = viewOf(leaf);
      scriptByView[view] = (scriptByView[view] ?? 0) + ms;
      // A native function (DOM, a setter) is named with the JS frame that called it.
      let { file, line } = l;
      if (file === '(native)') {
        for (let id = profile.nodes.get(leaf)?.parent; id !== undefined; id = profile.nodes.get(id)?.parent) {
          const caller = locate(id);
          if (caller.file.startsWith('(')) continue;
          file = `(native) ← ${caller.file}`;
          line = caller.line;
          break;
        }
      }
      const key = `${l.name}@${file}:${line}`;
      const fn = selfByFn.get(key) ?? { name: l.name || '(anonymous)', file, line, ms: 0, view };
      fn.ms += ms;
      selfByFn.set(key, fn);
    }
  }

  // Forced synchronous style and layout: the event carries the JS stack that asked for it.
  const forcedMap = new Map<string, { kind: string; at: string; view: string; count: number; ms: number; inAnimationFrame: number }>();
  const visit = (node: Node): void => {
    const kind = node.ev.name;
    if (kind === 'Layout' || kind === 'UpdateLayoutTree') {
      const st: any[] | undefined = node.ev.args?.beginData?.stackTrace ?? node.ev.args?.data?.stackTrace ?? node.ev.args?.stackTrace;
      let inScript = false;
      let inFrame = false;
      for (let p = node.parent; p; p = p.parent) {
        if (byName[p.ev.name] === 'script') inScript = true;
        if (p.ev.name === 'FireAnimationFrame') inFrame = true;
      }
      if (st?.length || inScript) {
        const frames = (st ?? []).map((f) =>
          mapper.locate({ functionName: f.functionName ?? '', url: f.url ?? '', line: f.lineNumber ?? 0, column: f.columnNumber ?? 0 }),
        );
        const app = frames.find((f) => f.file.startsWith('client/src/'));
        const top = app ?? frames[0];
        const at = top ? `${top.name || '(anonymous)'} ${top.file}:${top.line}` : '(no stack)';
        const view = frames.map((f) => viewOfFile(f.file)).find(Boolean) ?? (app ? groupOfFile(app.file) : 'unknown');
        const key = `${kind}|${at}`;
        const f = forcedMap.get(key) ?? { kind, at, view, count: 0, ms: 0, inAnimationFrame: 0 };
        f.count++;
        f.ms += (node.end - node.start) / 1000;
        if (inFrame) f.inAnimationFrame++;
        forcedMap.set(key, f);
      }
    }
    for (const c of node.children) visit(c);
  };
  for (const r of roots) visit(r);

  const longTasks: LongTask[] = [];
  for (const r of roots) {
    if (!isTask(r.ev.name) || r.end - r.start <= 50_000) continue;
    const by = zero();
    sum(r, by);
    const ms = (r.end - r.start) / 1000;
    const cpuMs = r.cpu / 1000;
    // By what the thread did on a CPU: a task that is long only because it waited for one (a
    // loaded machine) is the machine's, whatever ran in it.
    const byCpu = zero();
    sumCpu(r, byCpu);
    const pageWork = byCpu.script + byCpu.style + byCpu.layout + byCpu.paint + byCpu.compositing + byCpu.parse;
    const what = byCpu.gc >= cpuMs / 2 ? 'GC' : pageWork >= cpuMs / 2 ? "the page's own work" : byCpu.gc > pageWork ? 'GC' : 'browser (task overhead, IPC)';
    const attributedTo = cpuMs > 50 ? what : `waiting for a CPU (mostly ${what})`;
    const js = [...jsInTask(r.start, r.end).entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([k, v]) => `${k} (${v.toFixed(0)} ms)`);
    longTasks.push({ startMs: (r.start - windowStart) / 1000, ms, cpuMs: +cpuMs.toFixed(1), byCategory: round(by), attributedTo, topJs: js });
  }

  return {
    windowMs: (windowEnd - windowStart) / 1000,
    total: round(total),
    totalCpu: round(totalCpu),
    busyMs: +busyMs.toFixed(1),
    busyCpuMs: +busyCpuMs.toFixed(1),
    rasterMs: +rasterMs.toFixed(1),
    longTasks,
    scriptByView: Object.fromEntries(
      Object.entries(scriptByView)
        .map(([k, v]) => [k, +v.toFixed(1)])
        .sort((a, b) => (b[1] as number) - (a[1] as number)),
    ),
    topFunctions: [...selfByFn.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 25)
      .map((f) => ({ ...f, ms: +f.ms.toFixed(1) })),
    forced: [...forcedMap.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 15)
      .map((f) => ({ ...f, ms: +f.ms.toFixed(1) })),
    sampleIntervalUs: intervals ? Math.round((intervalSum / intervals) * 1000) : 0,
  };
}

function round(by: ByCategory): ByCategory {
  return Object.fromEntries(Object.entries(by).map(([k, v]) => [k, +v.toFixed(1)])) as ByCategory;
}

function lowerBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
