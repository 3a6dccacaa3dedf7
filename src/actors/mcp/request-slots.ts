// Requests in flight by JSON-RPC id, for ids that count up from 0 (ours to a backend, and the usual client's): each
// id has a slot in an array (the id modulo its length), so adding and removing a request per call allocates nothing.
// A long-lived Map used that way rebuilds its table as deletions fill it, and once the Map is in the old generation
// each discarded table links to its replacement until the next full collection, so every young collection copied
// the chain again. An id that is not a small non-negative integer, or whose slot an older request still holds once
// the array is as long as it may grow, goes to a Map beside it.
import type { RequestId } from '@modelcontextprotocol/sdk/types.js';

const isPowerOfTwo = (n: number) => Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;

const slotted = (id: RequestId): id is number => typeof id === 'number' && Number.isSafeInteger(id) && id >= 0;

export class RequestSlots<V> {
  #ids: (number | undefined)[];
  #values: (V | undefined)[];
  readonly #max: number;
  /** Ids that have no slot; dropped when it empties. */
  #overflow: Map<RequestId, V> | undefined;
  #inSlots = 0;

  /** `initial` and `max` slots, powers of two: the array doubles on a taken slot until `max`. */
  constructor(initial = 16, max = 1024) {
    // A slot is the id's low bits: any other length would put ids apart in one array together in the grown one.
    if (!isPowerOfTwo(initial) || !isPowerOfTwo(max) || max < initial)
      throw new RangeError(`RequestSlots: initial ${initial} and max ${max} must be powers of two, max >= initial`);
    this.#ids = new Array<number | undefined>(initial).fill(undefined);
    this.#values = new Array<V | undefined>(initial).fill(undefined);
    this.#max = max;
  }

  get size(): number {
    return this.#inSlots + (this.#overflow?.size ?? 0);
  }

  get(id: RequestId): V | undefined {
    if (slotted(id)) {
      const i = id & (this.#ids.length - 1);
      if (this.#ids[i] === id) return this.#values[i];
    }
    return this.#overflow?.get(id);
  }

  has(id: RequestId): boolean {
    if (slotted(id) && this.#ids[id & (this.#ids.length - 1)] === id) return true;
    return this.#overflow?.has(id) ?? false;
  }

  set(id: RequestId, value: V): void {
    if (this.#overflow?.has(id)) {
      this.#overflow.set(id, value);
      return;
    }
    if (slotted(id)) {
      let i = id & (this.#ids.length - 1);
      while (this.#ids[i] !== undefined && this.#ids[i] !== id && this.#ids.length < this.#max) {
        this.#grow();
        i = id & (this.#ids.length - 1);
      }
      if (this.#ids[i] === undefined) {
        this.#ids[i] = id;
        this.#inSlots++;
      }
      if (this.#ids[i] === id) {
        this.#values[i] = value;
        return;
      }
    }
    this.#overflow ??= new Map();
    this.#overflow.set(id, value);
  }

  delete(id: RequestId): boolean {
    if (slotted(id)) {
      const i = id & (this.#ids.length - 1);
      if (this.#ids[i] === id) {
        this.#ids[i] = undefined;
        this.#values[i] = undefined;
        this.#inSlots--;
        return true;
      }
    }
    const overflow = this.#overflow;
    if (!overflow?.delete(id)) return false;
    if (overflow.size === 0) this.#overflow = undefined;
    return true;
  }

  /** The values now held (a copy: callers may delete while they walk it). */
  values(): V[] {
    const out: V[] = [];
    for (let i = 0; i < this.#ids.length; i++) if (this.#ids[i] !== undefined) out.push(this.#values[i] as V);
    if (this.#overflow) out.push(...this.#overflow.values());
    return out;
  }

  clear(): void {
    this.#ids.fill(undefined);
    this.#values.fill(undefined);
    this.#inSlots = 0;
    this.#overflow = undefined;
  }

  /** Twice the slots: ids apart in the shorter array stay apart in the longer one. */
  #grow(): void {
    const ids = this.#ids;
    const values = this.#values;
    const length = ids.length * 2;
    this.#ids = new Array<number | undefined>(length).fill(undefined);
    this.#values = new Array<V | undefined>(length).fill(undefined);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === undefined) continue;
      this.#ids[id & (length - 1)] = id;
      this.#values[id & (length - 1)] = values[i];
    }
  }
}
