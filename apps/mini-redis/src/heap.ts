// A binary min-heap of (deadline, key) records: the purge task's way to find the key that
// expires next in O(log n), where tokio's mini-redis uses an ordered BTreeSet.

export interface Deadline {
  when: number;
  key: string;
}

export class DeadlineHeap {
  private readonly items: Deadline[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Deadline | undefined {
    return this.items[0];
  }

  clear(): void {
    this.items.length = 0;
  }

  push(when: number, key: string): void {
    const items = this.items;
    const record = { when, key };
    let i = items.length;
    items.push(record);
    // Sift up: swap with the parent while we are sooner than it.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (p.when <= when) break;
      items[i] = p;
      i = parent;
    }
    items[i] = record;
  }

  pop(): Deadline | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    // Sift the last record down from the root.
    let i = 0;
    const n = items.length;
    while (true) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && items[r]!.when < items[l]!.when ? r : l;
      if (items[child]!.when >= last.when) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
