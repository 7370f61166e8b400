/**
 * A least-recently-used map of at most `capacity` entries. A stats worker keeps the reference
 * columns it was sent in one; the calling thread keeps a mirror of it (same capacity, same ids in
 * the same order), so it sends a reference column only to a worker that does not hold it.
 */
export class ColumnCache<T> {
  private readonly entries = new Map<number, T>();

  constructor(private readonly capacity: number) {}

  /** The entry for `id` (now the most recent), or stores `value` under it; true when it was held. */
  touch(id: number, value: T): boolean {
    const held = this.entries.get(id);
    if (held !== undefined) {
      // A Map iterates in insertion order: re-inserting makes it the most recent, the first key the oldest.
      this.entries.delete(id);
      this.entries.set(id, held);
      return true;
    }
    this.entries.set(id, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return false;
  }

  /** The entry for `id` (now the most recent), or undefined without storing anything. */
  use(id: number): T | undefined {
    const held = this.entries.get(id);
    if (held !== undefined) this.touch(id, held);
    return held;
  }

  clear(): void {
    this.entries.clear();
  }
}
