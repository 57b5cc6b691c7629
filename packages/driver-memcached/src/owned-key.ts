import { unexpected } from './errors.js';
import { metaDelete, metaGet, metaSet } from './protocol/meta.js';
import type { Reply } from './protocol/reply.js';
import type { MemcachedSession } from './session.js';

/**
 * A key this coordinator owns, proven by a random prefix of its value that
 * nobody else writes. Writes are compare-and-set on the CAS this holder
 * last saw; when the CAS has moved, the value says whether the mover was
 * this holder itself (a write it gave up on, delivered late after a
 * reconnect) or someone else. Only someone else means the key is lost.
 */
export class OwnedKey {
  constructor(
    private readonly session: MemcachedSession,
    readonly key: string,
    /** The prefix every value of this holder starts with (its member id and a nonce). */
    readonly owner: Buffer,
    public cas: bigint,
  ) {}

  /** Writes `value` if the key is still ours; false once it is not. */
  async write(value: Buffer, ttl: number, what: string): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const reply = await this.session.send(metaSet(this.key, value, { cas: this.cas, ttl }));
      if (reply.kind === 'status' && reply.code === 'HD') {
        this.cas = casFrom(reply, what);
        return true;
      }
      if (!isStatus(reply, 'EX', 'NF')) throw unexpected(reply, what);
      if (!(await this.reclaim())) return false;
    }
    return false;
  }

  /** Deletes the key if it is still ours; false if it was not. */
  async delete(what: string): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const reply = await this.session.send(metaDelete(this.key, this.cas));
      if (isStatus(reply, 'HD')) return true;
      if (!isStatus(reply, 'EX', 'NF')) throw unexpected(reply, what);
      if (!(await this.reclaim())) return false;
    }
    return false;
  }

  /** The CAS moved: adopt the current one if the value is still ours. */
  private async reclaim(): Promise<boolean> {
    const reply = await this.session.send(metaGet(this.key));
    if (reply.kind !== 'value' || !startsWith(reply.data, this.owner)) return false;
    this.cas = BigInt(reply.flags.get('c') ?? '0');
    return true;
  }
}

export const isStatus = (reply: Reply, ...codes: string[]) => reply.kind === 'status' && codes.includes(reply.code);

export function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.subarray(0, prefix.length).equals(prefix);
}

/** The CAS of a successful meta write (`HD c<cas>`). CAS 0 means memcached runs with `-C`: no CAS at all. */
export function casFrom(reply: Reply, what: string): bigint {
  const cas = reply.kind === 'status' && reply.code === 'HD' ? reply.flags.get('c') : undefined;
  if (cas === undefined) throw unexpected(reply, what);
  if (cas === '0') throw unexpected(reply, `${what} (memcached runs with CAS disabled, -C)`);
  return BigInt(cas);
}
