// Promise memoisation by key: the first caller starts the work, later callers share it. A rejection is
// kept (and marked handled) so a failed collection is reported by every asker, not retried by each.
export class Memo {
  readonly #map = new Map<string, Promise<unknown>>();

  once<T>(key: string, f: () => Promise<T>): Promise<T> {
    let p = this.#map.get(key) as Promise<T> | undefined;
    if (!p) {
      p = f();
      p.catch(() => {});
      this.#map.set(key, p);
    }
    return p;
  }
}
