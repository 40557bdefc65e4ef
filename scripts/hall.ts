/**
 * `npm run hall`: a hall on this machine, to see several processes serve one class. Starts a
 * private redis-server, 2 Streamscope processes sharing it (`HALL_PROCESSES` for another number)
 * and real nginx in front, all on loopback; prints the URLs; stops everything on Ctrl+C. Says what
 * is missing, and how to install it, when redis-server or nginx is not installed.
 */
import { ensureClientBuilt } from '../server/buildClient.ts';
import { defaultStaticDir } from '../server/app.ts';
import { hallMissing, startHall, type Hall } from '../server/hall/hall.ts';
import { hallNginxConfig } from '../server/hall/hallNginxConfig.ts';

// `npm run hall -- --nginx-config <listen host:port> <process host:port>…`: the nginx.conf of a
// hall of several machines (README, "A hall"), printed; nothing is started.
const at = process.argv.indexOf('--nginx-config');
if (at >= 0) {
  const [listen, ...servers] = process.argv.slice(at + 1);
  const match = /^(.+):(\d+)$/.exec(listen ?? '');
  if (!match || servers.length === 0 || !servers.every((s) => /^[^\s;]+:\d+$/.test(s))) {
    console.error('Usage: npm run hall -- --nginx-config <listen host:port> <process host:port> [<process host:port>…]');
    console.error('  e.g. npm run hall -- --nginx-config 0.0.0.0:8080 10.0.0.11:3000 10.0.0.12:3000');
    process.exit(1);
  }
  process.stdout.write(hallNginxConfig({ host: match[1]!, port: Number(match[2]), servers }));
  process.exit(0);
}

const missing = hallMissing();
if (missing.length > 0) {
  console.error('streamscope hall: a hall runs redis-server and nginx, and this machine lacks:');
  for (const line of missing) console.error(`  - ${line}`);
  console.error('\n  Install both (Debian, Ubuntu): sudo apt-get install redis-server nginx-light');
  console.error('  One process alone needs neither: npm start');
  process.exit(1);
}
const processes = Number(process.env.HALL_PROCESSES ?? 2);
if (!Number.isInteger(processes) || processes < 1 || processes > 16) {
  console.error(`streamscope hall: HALL_PROCESSES must be a whole number from 1 to 16; got "${process.env.HALL_PROCESSES}".`);
  process.exit(1);
}
const token = process.env.STREAMSCOPE_PRESENTER_TOKEN?.trim() || undefined;
if (token !== undefined && !/^[A-Za-z0-9_-]{8,128}$/.test(token)) {
  console.error('streamscope hall: STREAMSCOPE_PRESENTER_TOKEN must be 8 to 128 letters, digits, "-" or "_".');
  process.exit(1);
}

await ensureClientBuilt();
let hall: Hall;
try {
  hall = await startHall({ processes, staticDir: defaultStaticDir, ...(token ? { token } : {}) });
} catch (error) {
  console.error(`streamscope hall: ${(error as Error).message}`);
  process.exit(1);
}

console.log(`\n  A hall: ${hall.processes.length} Streamscope processes sharing one Redis, behind nginx (all on this machine).\n`);
console.log(`  Presenter: ${hall.presenterUrl}   (keep this one to yourself: it drives the class)`);
console.log(`  Audience:  ${hall.audienceUrl}`);
console.log(`\n  nginx:     ${hall.url}/   (each browser kept on one process by a cookie; moved to another if its process dies)`);
hall.processes.forEach((p, i) => console.log(`  Process ${i + 1}: ${p.url}/   (pid ${p.child.pid}; /api/follow/me says who follows it)`));
console.log(`  Redis:     ${hall.redis.url}   (a private redis-server, nothing saved)`);
console.log('\n  Try: open the audience URL in a few tabs, present from the presenter URL, then kill a process');
console.log('  (kill <pid>): its followers reconnect through nginx to another and pick up the class.');
console.log('  Ctrl+C stops everything.\n');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('\n  Stopping the hall…');
    void hall.stop().then(() => process.exit(0));
  });
}
// A process of the hall that dies is reported (the others serve on).
hall.processes.forEach((p, i) =>
  p.child.once('exit', (code, signal) => {
    if (!stopping) console.log(`  Process ${i + 1} (pid ${p.child.pid}) exited (${signal ?? code}); nginx sends its followers to the others.`);
  }),
);
