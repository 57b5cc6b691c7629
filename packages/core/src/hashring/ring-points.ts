/**
 * The points of a hash ring in ascending order, each with its owner, as an
 * immutable list of small sorted chunks: adding or removing one node's points
 * copies only the chunks they land in and the list of chunks, not the whole
 * ring, and the old version stays valid (each Partitioner keeps its own).
 */

/** Chunks split above this many points; a chunk that shrinks below a quarter merges into its neighbour. */
const MAX = 128;
const MIN = MAX / 4;

export interface Chunk {
  readonly points: readonly string[];
  readonly owners: readonly string[];
}

/** First index whose value is greater than `point` (Python's bisect_right). */
export function bisectRight(values: readonly string[], point: string): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (point < (values[mid] as string)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Index of `point` in `values`, or -1. */
function indexOf(values: readonly string[], point: string): number {
  const at = bisectRight(values, point) - 1;
  return at >= 0 && values[at] === point ? at : -1;
}

/** Cuts parallel arrays into chunks of at most MAX/2 (room to grow before the next split). */
function chunked(points: readonly string[], owners: readonly string[], out: Chunk[]): void {
  const pieces = Math.ceil(points.length / (MAX / 2));
  const each = Math.ceil(points.length / pieces);
  for (let start = 0; start < points.length; start += each) {
    out.push({ points: points.slice(start, start + each), owners: owners.slice(start, start + each) });
  }
}

export class RingPoints {
  /** The empty ring. (Not a static field: TypeScript's ES2022 output of one beside `#private` fields fails to load.) */
  static get EMPTY(): RingPoints {
    return EMPTY;
  }

  /** Use EMPTY, then `with`: chunks are non-empty and sorted, `firsts` their first points, `size` their total. */
  constructor(
    private readonly chunks: readonly Chunk[] = [],
    private readonly firsts: readonly string[] = [],
    readonly size = 0,
  ) {}

  /** The owner of `point`, or undefined. */
  ownerOf(point: string): string | undefined {
    const chunk = this.chunks[this.#chunkOf(point)];
    if (chunk === undefined) return undefined;
    const at = indexOf(chunk.points, point);
    return at < 0 ? undefined : chunk.owners[at];
  }

  /**
   * Visits owners clockwise from the first point greater than `point`,
   * wrapping once round the ring, until `visit` returns false.
   */
  walk(point: string, visit: (owner: string) => boolean): void {
    if (this.size === 0) return;
    let c = Math.max(0, this.#chunkOf(point));
    let i = bisectRight((this.chunks[c] as Chunk).points, point);
    for (let step = 0; step < this.size; step++) {
      let chunk = this.chunks[c] as Chunk;
      if (i === chunk.points.length) {
        c = c + 1 < this.chunks.length ? c + 1 : 0;
        i = 0;
        chunk = this.chunks[c] as Chunk;
      }
      if (!visit(chunk.owners[i] as string)) return;
      i++;
    }
  }

  /**
   * The ring with each of `points` (ascending, distinct) owned by the owner
   * at the same index: new points are inserted, known ones change owner.
   */
  with(points: readonly string[], owners: readonly string[]): RingPoints {
    if (points.length === 0) return this;
    // Many points at once (building a ring): one merge of everything is cheaper than chunk by chunk.
    if (points.length * 4 > this.size) return this.#merged(points, owners);
    let added = 0;
    const [chunks, firsts] = this.#rewrite(points, (chunk, from, to) => {
      const ps = chunk.points.slice();
      const os = chunk.owners.slice();
      for (let k = from; k < to; k++) {
        const point = points[k] as string;
        const at = bisectRight(ps, point);
        if (at > 0 && ps[at - 1] === point) os[at - 1] = owners[k] as string;
        else {
          ps.splice(at, 0, point);
          os.splice(at, 0, owners[k] as string);
          added++;
        }
      }
      return { points: ps, owners: os };
    });
    return new RingPoints(chunks, firsts, this.size + added);
  }

  /** The ring without those of `points` (ascending, distinct) that it holds. */
  without(points: readonly string[]): RingPoints {
    if (points.length === 0 || this.size === 0) return this;
    let removed = 0;
    const [chunks, firsts] = this.#rewrite(points, (chunk, from, to) => {
      const ps = chunk.points.slice();
      const os = chunk.owners.slice();
      for (let k = to - 1; k >= from; k--) {
        const at = indexOf(ps, points[k] as string);
        if (at < 0) continue;
        ps.splice(at, 1);
        os.splice(at, 1);
        removed++;
      }
      return { points: ps, owners: os };
    });
    return removed === 0 ? this : new RingPoints(chunks, firsts, this.size - removed);
  }

  /** Index of the chunk `point` falls in: the last whose first point is ≤ it, or 0 (or -1 when empty). */
  #chunkOf(point: string): number {
    if (this.chunks.length === 0) return -1;
    return Math.max(0, bisectRight(this.firsts, point) - 1);
  }

  /**
   * New chunk and first-point lists in which each chunk that some of
   * `points` fall in is replaced by `edit(chunk, from, to)` (its share is
   * points[from, to)), then split, dropped or merged to keep chunk sizes
   * within bounds. The lists are copied whole (a memcpy of size / 100
   * pointers), then patched from the last chunk down so that a split or
   * merge does not move chunks still to be patched.
   */
  #rewrite(
    points: readonly string[],
    edit: (chunk: Chunk, from: number, to: number) => Chunk,
  ): [readonly Chunk[], readonly string[]] {
    const shares: number[] = [];
    for (let from = 0; from < points.length; ) {
      const c = this.#chunkOf(points[from] as string);
      // The share of chunk c ends before the first point of chunk c + 1.
      const limit = this.firsts[c + 1];
      let to = from + 1;
      while (to < points.length && (limit === undefined || (points[to] as string) < limit)) to++;
      shares.push(c, from, to);
      from = to;
    }
    const chunks = this.chunks.slice();
    const firsts = this.firsts.slice();
    for (let k = shares.length - 3; k >= 0; k -= 3) {
      const c = shares[k] as number;
      // Edits find points by value, so a chunk grown by a merge from c + 1 is edited correctly.
      const edited = edit(chunks[c] as Chunk, shares[k + 1] as number, shares[k + 2] as number);
      const before = chunks[c - 1];
      if (edited.points.length > MAX) {
        const pieces: Chunk[] = [];
        chunked(edited.points, edited.owners, pieces);
        chunks.splice(c, 1, ...pieces);
        firsts.splice(c, 1, ...pieces.map((piece) => piece.points[0] as string));
      } else if (edited.points.length === 0) {
        chunks.splice(c, 1);
        firsts.splice(c, 1);
      } else if (edited.points.length < MIN && before && before.points.length + edited.points.length <= MAX) {
        chunks.splice(c - 1, 2, {
          points: before.points.concat(edited.points),
          owners: before.owners.concat(edited.owners),
        });
        firsts.splice(c, 1);
      } else {
        chunks[c] = edited;
        firsts[c] = edited.points[0] as string;
      }
    }
    return [chunks, firsts];
  }

  /** Everything merged into fresh chunks: O(size + points). */
  #merged(points: readonly string[], owners: readonly string[]): RingPoints {
    const allPoints: string[] = [];
    const allOwners: string[] = [];
    let j = 0;
    for (const chunk of this.chunks) {
      for (let i = 0; i < chunk.points.length; i++) {
        const old = chunk.points[i] as string;
        while (j < points.length && (points[j] as string) < old) {
          allPoints.push(points[j] as string);
          allOwners.push(owners[j] as string);
          j++;
        }
        allPoints.push(old);
        if (points[j] === old) {
          allOwners.push(owners[j] as string);
          j++;
        } else allOwners.push(chunk.owners[i] as string);
      }
    }
    for (; j < points.length; j++) {
      allPoints.push(points[j] as string);
      allOwners.push(owners[j] as string);
    }
    const out: Chunk[] = [];
    chunked(allPoints, allOwners, out);
    return new RingPoints(
      out,
      out.map((chunk) => chunk.points[0] as string),
      allPoints.length,
    );
  }
}

const EMPTY = new RingPoints();
