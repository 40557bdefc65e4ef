/**
 * The load generator, alone in its process: forked by the bench, it takes one LoadPlan, ramps
 * its streams up against the server under test, tells the bench when the hold begins and ends
 * (so it can sample the server), waits for every stream to finish, reports, and exits. It also
 * exits if the bench goes away, and gives up by itself if the server never finishes.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { spread } from '../stats.ts';
import { closeClients, openStream, type StreamRecord } from './clients.ts';
import { openTap } from './tapReader.ts';
import { dueTimes, startMessage } from './workload.ts';
import { loadDeadlineMs, type FromLoadgen, type LoadPlan, type LoadResult, type StartLoad } from './messages.ts';

const tell = (message: FromLoadgen): void => void process.send?.(message);

process.once('message', (message: StartLoad) => {
  const { plan } = message;
  // Stops by itself: a server that never ends its streams cannot keep this process alive.
  setTimeout(
    () => {
      console.error('load generator: the streams did not end; giving up.');
      process.exit(2);
    },
    loadDeadlineMs(plan) + 30_000,
  ).unref();
  generate(plan).then(
    (result) => tell({ type: 'result', result }),
    (error: unknown) => tell({ type: 'failed', detail: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));

async function generate(plan: LoadPlan): Promise<LoadResult> {
  const due = dueTimes(plan.query);
  const endpoint = { port: plan.port, tlsPort: plan.tlsPort, query: plan.query, start: startMessage(plan.query), tokens: due.length };
  const tap = plan.tap === 'none' ? null : await openTap(plan.port, plan.run, plan.tap === 'slow');

  const streams: StreamRecord[] = [];
  const rampStart = performance.now();
  // The hold: every stream has started (if on time) and none has ended.
  const hold = { from: rampStart + plan.rampMs, to: rampStart + plan.rampMs + plan.holdMs };
  const windowAt = (edge: 'start' | 'end', at: number) => setTimeout(() => tell({ type: 'window', edge }), at - performance.now());
  windowAt('start', hold.from);
  windowAt('end', hold.to);
  const client = measureClient(hold.from, hold.to);

  // Open the streams evenly over the ramp, catching up in batches when a tick comes late.
  while (streams.length < plan.streams) {
    const dueNow = Math.min(plan.streams, Math.floor(((performance.now() - rampStart) / plan.rampMs) * plan.streams) + 1);
    while (streams.length < dueNow) streams.push(openStream(plan.transport, endpoint));
    await sleep(5);
  }

  // A stream may end graceMs after its own schedule (a late start is setup, not loss), but
  // none may keep the step waiting past the load's deadline.
  const last = due.at(-1) ?? 0;
  const cutoff = rampStart + loadDeadlineMs(plan);
  const watchdog = setInterval(() => {
    const now = performance.now();
    for (const stream of streams)
      if (now > stream.t0 + last + plan.graceMs || now > cutoff) stream.abort(`not finished ${plan.graceMs / 1000} s after its last token was due`);
  }, 250);
  await Promise.all(streams.map((s) => s.settled));
  clearInterval(watchdog);
  closeClients();
  tap?.close();

  const errors: Record<string, number> = {};
  for (const { error } of streams) if (error !== null) errors[error] = (errors[error] ?? 0) + 1;
  return {
    streams: streams.length,
    failed: streams.filter((s) => s.error !== null).length,
    errors,
    tokensPerStream: due.length,
    lost: streams.reduce((sum, s) => sum + due.length - s.received, 0),
    lateness: spread(plan.transport === 'http' ? bodyLateness(streams, due) : holdLateness(streams, due, hold)),
    setup: spread(Float64Array.from(streams.map((s) => s.t0 - s.requested))),
    client: await client,
    tap: tap && { bytes: tap.bytes, dropped: tap.dropped },
  };
}

/**
 * Lateness of the tokens due during the hold, when every stream is open: before it and after
 * it fewer streams load the server.
 */
function holdLateness(streams: readonly StreamRecord[], due: readonly number[], hold: { from: number; to: number }): Float64Array {
  const samples: number[] = [];
  for (const stream of streams) {
    for (let i = 0; i < due.length; i++) {
      const scheduled = stream.t0 + due[i]!;
      const arrived = stream.arrived[i]!;
      if (scheduled >= hold.from && scheduled <= hold.to && !Number.isNaN(arrived)) samples.push(arrived - scheduled);
    }
  }
  return Float64Array.from(samples);
}

/** A buffered reply has one arrival, the whole body, due with the last token. */
function bodyLateness(streams: readonly StreamRecord[], due: readonly number[]): Float64Array {
  const last = due.length - 1;
  return Float64Array.from(streams.filter((s) => !Number.isNaN(s.arrived[last]!)).map((s) => s.arrived[last]! - s.t0 - due[last]!));
}

/**
 * This process's CPU % and event-loop delay between two moments. The histogram records whole
 * timer intervals, so the delay is what exceeds the timer's resolution.
 */
async function measureClient(from: number, to: number): Promise<LoadResult['client']> {
  await sleep(Math.max(0, from - performance.now()));
  const resolutionMs = 5;
  const delay = monitorEventLoopDelay({ resolution: resolutionMs });
  delay.enable();
  const cpu = process.cpuUsage();
  const start = performance.now();
  await sleep(Math.max(0, to - performance.now()));
  const used = process.cpuUsage(cpu);
  delay.disable();
  return {
    cpuPercent: ((used.user + used.system) / 1000 / (performance.now() - start)) * 100,
    loopDelayP99Ms: Math.max(0, delay.percentile(99) / 1e6 - resolutionMs),
  };
}
