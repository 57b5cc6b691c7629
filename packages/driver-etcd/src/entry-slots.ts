/**
 * Names for queue entries, reused. etcd keeps an index entry for every key
 * ever written until the history is compacted, and a queue read ranges over
 * all of them, deleted or not; so a name per attempt would make each acquire
 * slower than the last on a busy lock. A session takes the lowest slot that
 * none of its entries under the prefix uses, and frees it once the entry is
 * known to be gone (as etcd's own recipe keys entries by lease).
 */
export class EntrySlots {
  private readonly busy = new Map<string, Set<number>>();

  /** A slot for a new entry; `free` once that entry was never written or has been deleted. */
  take(prefix: Buffer, leaseHex: string): { readonly name: Buffer; readonly free: () => void } {
    const id = `${leaseHex}|${prefix.toString('base64')}`;
    let slots = this.busy.get(id);
    if (!slots) {
      slots = new Set();
      this.busy.set(id, slots);
    }
    let slot = 0;
    while (slots.has(slot)) slot++;
    slots.add(slot);
    let freed = false;
    const used = slots;
    return {
      name: Buffer.concat([prefix, Buffer.from(`${leaseHex}_${slot.toString(16)}`)]),
      free: () => {
        if (freed) return;
        freed = true;
        used.delete(slot);
        if (used.size === 0 && this.busy.get(id) === used) this.busy.delete(id);
      },
    };
  }
}
