/**
 * What a `run: upstream` step (a real model's stream) says when it replays its recording instead
 * of asking the server's model.
 */
import { fakeModelId } from '../../../shared/fakeModel.ts';

/**
 * No model to ask: why (no upstream, or one that did not answer), what the recording is (of the
 * fake model, whose timing is made up, or of the model it names), and how to put a real model
 * behind the server (`server/upstream/upstream.ts`).
 */
export function noUpstreamNotice(why: string | null, recorded: string | undefined): string {
  const what = recorded === `upstream/${fakeModelId}` ? 'a fake upstream with made-up timing' : recorded ? recorded : 'a model';
  return (
    `${why?.replace(/\.$/, '') ?? 'This server has no model behind it'}, so this is a recording of ${what} (R replays it). ` +
    'For a real model: ollama serve, ollama pull llama3.2, then STREAMSCOPE_UPSTREAM_URL=http://127.0.0.1:11434/v1 npm start.'
  );
}

/** A follower who runs the step itself: the server has a model, but each of a hall's requests to it is paid. */
export const followerUpstreamNotice =
  'This step runs a real model, and every request to it is paid, so a follower who runs it here sees the recording (R replays it). Choose “Watch the presenter’s run” to see the live one.';
