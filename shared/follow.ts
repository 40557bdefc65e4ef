/**
 * What the audience channel carries (`GET /api/follow`'s `position` events, README "The HTTP
 * API"): the presenter's page sends it, the server relays it, every following page moves to it.
 */

/**
 * Where the class is: a lesson's step (0-based), whether the blank screen is on, and the id of the
 * presenter's broadcast run the step shows (`/api/follow/run`), once the presenter's page has one
 * for it: a watching follower shows that run only, never the previous step's.
 */
export interface ClassPosition {
  slug: string;
  step: number;
  blank: boolean;
  run?: string;
}
