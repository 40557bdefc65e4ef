/**
 * The response header that names the reply a streamed response reads (its id in the server's
 * reply log): `GET /api/replies/:id` answers that log. Same settings, same id: the simulated
 * model says the same tokens for them, so the header does not vary between runs.
 */
export const replyHeader = 'X-Streamscope-Reply';
