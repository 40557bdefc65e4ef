/**
 * What the audience channel carries (`GET /api/follow`'s `position` events, README "The HTTP
 * API"): the presenter's page sends it, the server relays it, every following page moves to it.
 */

/** Where the class is: a lesson's step (0-based), and whether the blank screen is on. */
export interface ClassPosition {
  slug: string;
  step: number;
  blank: boolean;
}
