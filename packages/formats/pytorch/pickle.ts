/**
 * A restricted unpickler (protocols 0-5) that builds inert values and never executes anything.
 *
 * Python's pickle calls whatever global a file names. Here a global is only a name: REDUCE/NEWOBJ/BUILD
 * on a known-safe constructor (OrderedDict, torch's tensor rebuild functions, ...) builds plain data;
 * every other global (os.system, builtins.eval, subprocess.Popen, model classes) becomes an inert
 * PyObject `{ __global__, args, state }` that is only ever looked at.
 *
 * Values: None -> null, bool, int -> number (bigint beyond 2^53), float, str, bytes -> Uint8Array,
 * list/tuple/set -> array, dict/OrderedDict -> Map.
 */
import { python2Modules, python2Names } from './python2-names';

export class PyGlobal {
  readonly module: string;
  readonly name: string;
  constructor(module: string, name: string) {
    const renamed = python2Names[`${module}.${name}`];
    const dot = renamed ? renamed.lastIndexOf('.') : -1;
    this.module = renamed ? renamed.slice(0, dot) : (python2Modules[module] ?? module);
    this.name = renamed ? renamed.slice(dot + 1) : name;
  }
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An object the unpickler did not build: the global it names and the arguments it would get. */
export class PyObject {
  readonly __global__: string;
  state: unknown = undefined;
  /** items added by SETITEM(S) / APPEND(S) to an unknown dict or list subclass */
  dictItems?: Map<unknown, unknown>;
  listItems?: unknown[];
  constructor(
    global: PyGlobal | string,
    readonly args: unknown[],
  ) {
    this.__global__ = typeof global === 'string' ? global : global.qualified;
  }
}

/** Builds a value from REDUCE arguments without running anything from the file. */
export type Reducer = (args: unknown[]) => unknown;

export class PickleError extends Error {}
/** the data ended before STOP: the caller may retry with more bytes */
export class PickleTruncated extends PickleError {}

export interface UnpickleOptions {
  reducers?: Record<string, Reducer>;
  persistentLoad?: (pid: unknown) => unknown;
  /** every global that became a placeholder, for reporting */
  placeholders?: Set<string>;
}

const baseReducers: Record<string, Reducer> = {
  'collections.OrderedDict': () => new Map(),
  'builtins.dict': () => new Map(),
  'builtins.set': (a) => (Array.isArray(a[0]) ? [...a[0]] : []),
  'builtins.frozenset': (a) => (Array.isArray(a[0]) ? [...a[0]] : []),
  'builtins.list': (a) => (Array.isArray(a[0]) ? [...a[0]] : []),
  'builtins.tuple': (a) => (Array.isArray(a[0]) ? [...a[0]] : []),
  'builtins.bytearray': (a) => (a[0] instanceof Uint8Array ? a[0] : new Uint8Array()),
  // protocol 2 pickles bytes as _codecs.encode(str, 'latin1')
  '_codecs.encode': (a) => Uint8Array.from(String(a[0]), (c) => c.charCodeAt(0) & 0xff),
};

export function unpickle(
  data: Uint8Array,
  options: UnpickleOptions = {},
  start = 0,
): { value: unknown; end: number } {
  const reducers = { ...baseReducers, ...options.reducers };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const decoder = new TextDecoder();
  let pos = start;
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const need = (n: number) => {
    if (n < 0 || pos + n > data.length) throw new PickleTruncated('the pickle data ends early');
  };
  const u8 = () => {
    need(1);
    return data[pos++];
  };
  const u16 = () => {
    need(2);
    pos += 2;
    return view.getUint16(pos - 2, true);
  };
  const u32 = () => {
    need(4);
    pos += 4;
    return view.getUint32(pos - 4, true);
  };
  const u64 = () => {
    need(8);
    pos += 8;
    const v = view.getBigUint64(pos - 8, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new PickleError('a pickle length is too large');
    return Number(v);
  };
  const bytes = (n: number) => {
    need(n);
    pos += n;
    return data.subarray(pos - n, pos);
  };
  const line = (raw = false) => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw new PickleTruncated('the pickle data ends early');
    const b = data.subarray(pos, end);
    const s = raw ? Array.from(b, (c) => String.fromCharCode(c)).join('') : decoder.decode(b);
    pos = end + 1;
    return s.endsWith('\r') ? s.slice(0, -1) : s;
  };
  const pop = () => {
    if (stack.length === 0) throw new PickleError('the pickle stack underflows');
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) throw new PickleError('the pickle stack underflows');
    return stack[stack.length - 1];
  };
  const popMark = () => {
    const items = stack;
    const previous = marks.pop();
    if (!previous) throw new PickleError('the pickle has no mark to pop to');
    stack = previous;
    return items;
  };
  const littleInt = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const textInt = (s: string): number | bigint => {
    const t = s.endsWith('L') ? s.slice(0, -1) : s;
    if (!/^[-+]?\d+$/.test(t))
      throw new PickleError(`the pickle holds a malformed integer ${JSON.stringify(s)}`);
    const v = BigInt(t);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const quoted = (s: string) => {
    // protocol 0 STRING: a Python repr; only simple escapes are decoded (the data is shown, not run)
    const q = s[0];
    const body = (q === "'" || q === '"') && s.endsWith(q) ? s.slice(1, -1) : s;
    return body.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
      if (e[0] === 'x') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
      return (
        ({ n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"' } as Record<string, string>)[e] ?? e
      );
    });
  };
  const rawUnicode = (s: string) =>
    s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a?: string, b?: string) =>
      String.fromCodePoint(Number.parseInt(a ?? b ?? '0', 16)),
    );

  const call = (callable: unknown, args: unknown[]): unknown => {
    if (callable instanceof PyGlobal) {
      const reducer = reducers[callable.qualified];
      if (reducer) return reducer(args);
      options.placeholders?.add(callable.qualified);
      return new PyObject(callable, args);
    }
    // calling a non-global (e.g. a placeholder) also only records the call
    return new PyObject(callable instanceof PyObject ? callable.__global__ : 'unknown', args);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (items.length % 2) throw new PickleError('the pickle sets a dict item without a value');
    let map: Map<unknown, unknown>;
    if (target instanceof Map) map = target;
    else if (target instanceof PyObject) map = target.dictItems ??= new Map();
    else throw new PickleError('the pickle sets items on a value that is not a dict');
    for (let i = 0; i < items.length; i += 2) map.set(items[i], items[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    if (Array.isArray(target)) target.push(...items);
    else if (target instanceof PyObject) (target.listItems ??= []).push(...items);
    else throw new PickleError('the pickle appends to a value that is not a list');
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length) stack.pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4);
        pos += 4;
        stack.push(view.getInt32(pos - 4, true));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x49: {
        // INT (protocol 0; "00"/"01" are False/True)
        const s = line();
        stack.push(s === '00' ? false : s === '01' ? true : textInt(s));
        break;
      }
      case 0x4c: // LONG
        stack.push(textInt(line()));
        break;
      case 0x8a: // LONG1
        stack.push(littleInt(bytes(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(littleInt(bytes(u32())));
        break;
      case 0x46: // FLOAT
        stack.push(Number.parseFloat(line()));
        break;
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        pos += 8;
        stack.push(view.getFloat64(pos - 8, false));
        break;
      case 0x53: // STRING
        stack.push(quoted(line()));
        break;
      case 0x54: // BINSTRING
        stack.push(decoder.decode(bytes(u32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(decoder.decode(bytes(u8())));
        break;
      case 0x56: // UNICODE: raw-unicode-escape, i.e. latin-1 plus \\u escapes
        stack.push(rawUnicode(line(true)));
        break;
      case 0x58: // BINUNICODE
        stack.push(decoder.decode(bytes(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(decoder.decode(bytes(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(decoder.decode(bytes(u64())));
        break;
      case 0x42: // BINBYTES
        stack.push(new Uint8Array(bytes(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(new Uint8Array(bytes(u8())));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(new Uint8Array(bytes(u64())));
        break;
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        throw new PickleError('the pickle uses out-of-band buffers, which a file cannot carry');
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x74: // TUPLE
      case 0x6c: {
        // LIST (popMark first: it replaces `stack`)
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x8f: // EMPTY_SET
        stack.push([]);
        break;
      case 0x64: {
        // DICT
        const map = new Map();
        setItems(map, popMark());
        stack.push(map);
        break;
      }
      case 0x91: {
        // FROZENSET
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(new PyGlobal(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw new PickleError('the pickle names a global with non-string parts');
        stack.push(new PyGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        stack.push(call(callable, Array.isArray(args) ? args : [args]));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = pop();
        const cls = pop();
        stack.push(call(cls, Array.isArray(args) ? args : [args]));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop(); // kwargs
        const args = pop();
        const cls = pop();
        stack.push(call(cls, Array.isArray(args) ? args : [args]));
        break;
      }
      case 0x69: {
        // INST
        const module = line();
        const name = line();
        const args = popMark();
        stack.push(call(new PyGlobal(module, name), args));
        break;
      }
      case 0x6f: {
        // OBJ
        const items = popMark();
        stack.push(call(items[0], items.slice(1)));
        break;
      }
      case 0x62: {
        // BUILD: __setstate__ is never called; the state is kept as data
        const state = pop();
        const target = top();
        if (target instanceof PyObject) target.state = state;
        // state on a built dict (OrderedDict's _metadata) or list carries nothing tensorscope shows
        break;
      }
      case 0x50: // PERSID
        stack.push(persistent(line()));
        break;
      case 0x51: // BINPERSID
        stack.push(persistent(pop()));
        break;
      case 0x67: // GET
        stack.push(memoGet(Number(line())));
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x70: // PUT
        memo.set(Number(line()), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
        throw new PickleError(
          'the pickle uses the copyreg extension registry, which tensorscope does not read',
        );
      default:
        throw new PickleError(
          `the pickle holds unknown opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1}`,
        );
    }
  }

  function memoGet(i: number): unknown {
    if (!memo.has(i)) throw new PickleError(`the pickle refers to missing memo entry ${i}`);
    return memo.get(i);
  }
  function persistent(pid: unknown): unknown {
    if (!options.persistentLoad) throw new PickleError('the pickle refers to external data it cannot hold');
    return options.persistentLoad(pid);
  }
}
