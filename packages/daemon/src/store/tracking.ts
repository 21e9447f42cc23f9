/**
 * Knows what changed in the state since it was last asked, without comparing anything: every
 * read of the state goes through proxies, and a write through one marks what it belongs to —
 * the record of a keyed collection (one app, one tenant…), the membership of a collection (a
 * record added or removed), or a top-level property written whole. So the journal writes what a
 * change touched, whatever the state's size, and callers keep mutating plain-looking objects —
 * also objects they read before `update()` and change inside it.
 *
 * Values stored are always the raw objects (proxies are unwrapped on the way in), so the state
 * serialises without traps and the same raw object always reads as the same proxy.
 */
export interface Changes {
  /** Per keyed collection: the raw records written to. */
  records: Map<string, Set<object>>;
  /** Keyed collections a record was added to or removed from (or that were replaced whole). */
  membership: Set<string>;
  /** Other top-level properties, written whole. */
  props: Set<string>;
}

type Mark = () => void;

export class ChangeTracker {
  private readonly proxies = new WeakMap<object, object>();
  private readonly raws = new WeakMap<object, object>();
  private changes: Changes = emptyChanges();
  /** The state as everyone reads and writes it. */
  readonly view: Record<string, unknown>;
  private readonly keyed: ReadonlySet<string>;

  constructor(root: Record<string, unknown>, keyed: ReadonlySet<string>) {
    this.keyed = keyed;
    this.view = new Proxy(root, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof prop !== "string" || !isObject(value)) return value;
        return this.keyed.has(prop) ? this.collection(value, prop) : this.wrap(value, () => this.changes.props.add(prop));
      },
      set: (target, prop, value) => {
        if (typeof prop === "string") this.markTopLevel(prop);
        return Reflect.set(target, prop, this.unwrap(value));
      },
      deleteProperty: (target, prop) => {
        if (typeof prop === "string") this.markTopLevel(prop);
        return Reflect.deleteProperty(target, prop);
      },
    });
  }

  /** What changed since the last call; the next call starts from nothing. */
  take(): Changes {
    const taken = this.changes;
    this.changes = emptyChanges();
    return taken;
  }

  /** The raw object behind a proxy (or the value itself). */
  raw<T>(value: T): T {
    return (isObject(value) ? (this.raws.get(value) ?? value) : value) as T;
  }

  private markTopLevel(prop: string): void {
    if (this.keyed.has(prop)) this.changes.membership.add(prop);
    else this.changes.props.add(prop);
  }

  /** A keyed collection: writing to the array changes membership; its elements are records. */
  private collection(array: object, name: string): object {
    return this.cached(array, () => ({
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (!isObject(value) || typeof prop !== "string" || !isIndex(prop)) return value;
        return this.wrap(value, () => this.markRecord(name, value));
      },
      set: (target, prop, value) => {
        this.changes.membership.add(name);
        return Reflect.set(target, prop, this.unwrap(value));
      },
      deleteProperty: (target, prop) => {
        this.changes.membership.add(name);
        return Reflect.deleteProperty(target, prop);
      },
    }));
  }

  private markRecord(collection: string, record: object): void {
    const records = this.changes.records.get(collection) ?? new Set<object>();
    this.changes.records.set(collection, records.add(record));
  }

  /** Any object below a record or a top-level property: a write anywhere in it calls `mark`. */
  private wrap(value: object, mark: Mark): object {
    return this.cached(value, () => ({
      get: (target, prop, receiver) => {
        const inner = Reflect.get(target, prop, receiver);
        return isObject(inner) && typeof prop === "string" ? this.wrap(inner, mark) : inner;
      },
      set: (target, prop, inner) => {
        mark();
        return Reflect.set(target, prop, this.unwrap(inner));
      },
      deleteProperty: (target, prop) => {
        mark();
        return Reflect.deleteProperty(target, prop);
      },
    }));
  }

  private cached(value: object, handler: () => ProxyHandler<object>): object {
    const known = this.proxies.get(value);
    if (known) return known;
    if (this.raws.has(value)) return value;
    const proxy = new Proxy(value, handler());
    this.proxies.set(value, proxy);
    this.raws.set(proxy, value);
    return proxy;
  }

  /** Stores raw objects only: a proxy becomes its target, also inside new arrays and objects. */
  private unwrap(value: unknown): unknown {
    if (!isObject(value)) return value;
    const raw = this.raws.get(value);
    if (raw) return raw;
    // Already part of the state (it has been read through a proxy): stored as it is.
    if (this.proxies.has(value)) return value;
    // A new plain value (a filtered array of records, a literal holding a spec read from state).
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = this.unwrap(value[i]);
    } else {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) record[key] = this.unwrap(record[key]);
    }
    return value;
  }
}

function emptyChanges(): Changes {
  return { records: new Map(), membership: new Set(), props: new Set() };
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

function isIndex(prop: string): boolean {
  const code = prop.charCodeAt(0);
  return code >= 48 && code <= 57;
}
