/**
 * One Streamscope server in a process of its own, with the reply log and the class `npm start`
 * would use (`configuredReplyLogs`, `configuredClassBus`: `STREAMSCOPE_REDIS_URL` and
 * `STREAMSCOPE_PRESENTER_TOKEN` from the environment), on a free loopback port (or `PORT`),
 * without the page (unless `STREAMSCOPE_STATIC_DIR` names the built one) or the labs: what a test
 * or a hall needs of "another process". Prints `listening <port>` once it listens; stops on SIGTERM or SIGINT.
 */
import { createApp } from '../app.ts';
import { Presenter } from '../classroom/presenter.ts';
import { configuredClassBus } from '../follow/configuredClassBus.ts';
import { configuredReplyLogs } from '../replies/configuredReplyLogs.ts';

const replies = await configuredReplyLogs();
const classBus = await configuredClassBus(process.env, process.env.STREAMSCOPE_NAME);
const token = process.env.STREAMSCOPE_PRESENTER_TOKEN?.trim();
const app = createApp({
  replyLog: replies.app,
  classBus: classBus.bus,
  staticDir: process.env.STREAMSCOPE_STATIC_DIR || null,
  ...(token ? { presenter: new Presenter(token) } : {}),
});
app.server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = app.server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
// SIGINT too: Ctrl+C in a hall's terminal reaches every process of it.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void app
      .close()
      .then(() => classBus.bus.close())
      .then(() => replies.close())
      .then(() => process.exit(0));
  });
}
