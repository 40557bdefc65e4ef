/**
 * The response header that names the reply a streamed response reads (its id in the server's
 * reply log): `GET /api/replies/:id` answers that log. Same settings, same id: the simulated
 * model says the same tokens for them, so the header does not vary between runs; only a reply
 * sampled at random (`temperature` above 0 without a `seed`) gets an id of its own.
 */
export const replyHeader = 'X-Streamscope-Reply';
