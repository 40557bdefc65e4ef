/** The methods `/api/inspect/sse` replays (the server's `inspectMethods`). */
export const inspectMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
