/** Tables the demos create as their batch feature sources (a user's own tables play this part in production). */
import type { Queryable } from './db';

/** demo_restaurant_prep: one mean preparation time per restaurant r1…rN, as of an hour ago. */
export async function seedRestaurantPrepTable(db: Queryable, meanPrepMinutes: readonly number[]): Promise<void> {
  await db.query(
    `CREATE TABLE IF NOT EXISTS demo_restaurant_prep (restaurant_id text, mean_prep_minutes float8, as_of timestamptz)`,
  );
  await db.query(
    `INSERT INTO demo_restaurant_prep SELECT 'r' || i, p, now() - interval '1 hour' FROM unnest($1::float8[]) WITH ORDINALITY AS t(p, i)`,
    [meanPrepMinutes],
  );
}
