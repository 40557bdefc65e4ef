/**
 * One Streamscope server in a process of its own, with the reply log `npm start` would use
 * (`configuredReplyLogs`: `STREAMSCOPE_REDIS_URL` from the environment), on a free loopback port,
 * without the page or the labs: what a test needs of "another process". Prints `listening <port>`
 * once it listens; stops on SIGTERM.
 */
import { createApp } from '../app.ts';
import { configuredReplyLogs } from '../replies/configuredReplyLogs.ts';

const replies = await configuredReplyLogs();
const app = createApp({ replyLog: replies.app, staticDir: null });
app.server.listen(0, '127.0.0.1', () => {
  const address = app.server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.once('SIGTERM', () => {
  void app
    .close()
    .then(() => replies.close())
    .then(() => process.exit(0));
});
