/** projector_config.pbtxt (a text-format ProjectorConfig) parsing: no eval, a tiny tokenizer. */

export interface ProjectorEmbedding {
  tensorName: string;
  tensorPath: string;
  metadataPath?: string;
  tensorShape?: number[];
  sprite?: { imagePath: string; singleImageDim: number[] };
}

type TextProto = Map<string, (string | number | TextProto)[]>;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s+|#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{}:<>;,])|([^\s{}:<>;,"']+)/gy;
  let m: RegExpExecArray | null = re.exec(text);
  while (m !== null && m[0] !== '') {
    if (m[1] !== undefined || m[2] !== undefined) tokens.push(`"${unquote(m[1] ?? m[2] ?? '')}`);
    else if (m[3] !== undefined) tokens.push(m[3]);
    else if (m[4] !== undefined) tokens.push(m[4]);
    m = re.exec(text);
  }
  if (re.lastIndex < text.length && re.lastIndex !== 0)
    throw new Error(`unexpected character at offset ${re.lastIndex}`);
  return tokens;
}

function unquote(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

function parseMessage(tokens: string[], pos: { i: number }, close: string | null): TextProto {
  const msg: TextProto = new Map();
  while (pos.i < tokens.length) {
    const name = tokens[pos.i++];
    if (name === close) return msg;
    if (name === ';' || name === ',') continue;
    let t = tokens[pos.i];
    if (t === ':') t = tokens[++pos.i];
    let value: string | number | TextProto;
    if (t === '{' || t === '<') {
      pos.i++;
      value = parseMessage(tokens, pos, t === '{' ? '}' : '>');
    } else {
      pos.i++;
      value = t.startsWith('"') ? t.slice(1) : Number.isNaN(Number(t)) ? t : Number(t);
    }
    const list = msg.get(name) ?? [];
    list.push(value);
    msg.set(name, list);
  }
  if (close) throw new Error(`missing "${close}"`);
  return msg;
}

const str = (m: TextProto, k: string) => {
  const v = m.get(k)?.[0];
  return typeof v === 'string' ? v : undefined;
};
const nums = (m: TextProto, k: string) => (m.get(k) ?? []).filter((v): v is number => typeof v === 'number');

export function parseProjectorConfig(text: string): ProjectorEmbedding[] {
  const root = parseMessage(tokenize(text), { i: 0 }, null);
  return (root.get('embeddings') ?? []).flatMap((e) => {
    if (!(e instanceof Map)) return [];
    const sprite = e.get('sprite')?.[0];
    const shape = nums(e, 'tensor_shape');
    return [
      {
        tensorName: str(e, 'tensor_name') ?? '',
        tensorPath: str(e, 'tensor_path') ?? '',
        metadataPath: str(e, 'metadata_path'),
        tensorShape: shape.length ? shape : undefined,
        sprite:
          sprite instanceof Map
            ? { imagePath: str(sprite, 'image_path') ?? '', singleImageDim: nums(sprite, 'single_image_dim') }
            : undefined,
      },
    ];
  });
}
