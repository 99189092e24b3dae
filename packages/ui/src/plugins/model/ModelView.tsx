/**
 * The model viewer: opens a model given to `tensorscope serve` or dropped on the page (parsed here, in
 * the browser; a dropped file is never sent anywhere), lays the graph out in a worker and draws it.
 * Modules start collapsed on big graphs and open in place on click.
 */
import { bytesSource, fileListSource } from '@tensorscope/formats/browser-source';
import type { Model } from '@tensorscope/formats/model';
import { openModel } from '@tensorscope/formats/open';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { apiPath, getJson } from '../../app/api';
import type { PluginProps } from '../types';
import { palette, prepareScene, type Scene } from './draw';
import { download, sceneToCanvas, sceneToSvg } from './exportImage';
import { type Anchor, GraphCanvas } from './GraphCanvas';
import { layoutInWorker } from './layoutClient';
import { NodePanel } from './NodePanel';
import { RunPanel } from './RunPanel';
import type { RunResult } from './runApi';
import { type ColorBy, paintFor } from './runColors';
import { buildViewGraph, initialExpansion, revealed, search, type ViewGraph } from './viewGraph';
import { WeightView } from './WeightView';
import './model.css';

interface ServedModel {
  index: number;
  name: string;
  bytes: number | null;
}

interface Opened {
  name: string;
  /** index among the served models; undefined for a file opened in the page */
  served?: number;
  model: Model;
  vg: ViewGraph | null;
}

/** Extensions of the file that is the model when several are dropped together (weights files follow it). */
const MAIN = /\.(onnx|pb|json|h5|keras|safetensors|pt|pth|bin|gguf|tflite|npy)$/i;

export function ModelView({ theme }: PluginProps) {
  const [served, setServed] = useState<ServedModel[]>([]);
  const [opened, setOpened] = useState<Opened | null>(null);
  const [loading, setLoading] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<Uint8Array>(new Uint8Array());
  const [scene, setScene] = useState<Scene | null>(null);
  const [layoutMs, setLayoutMs] = useState(0);
  const [selected, setSelected] = useState(-1);
  const [anchor, setAnchor] = useState<Anchor | null>(null);
  const [focus, setFocus] = useState<{ item: number; seq: number } | null>(null);
  const [query, setQuery] = useState('');
  const [dragging, setDragging] = useState(false);
  const [showRun, setShowRun] = useState(false);
  const [run, setRun] = useState<RunResult | null>(null);
  const [colorBy, setColorBy] = useState<ColorBy>('op');
  const fileInput = useRef<HTMLInputElement>(null);
  const root = useRef<HTMLElement>(null);
  // fill the window below whatever the shell shows above the view
  useEffect(() => {
    const fit = () => {
      const el = root.current;
      if (el) el.style.height = `${Math.max(420, innerHeight - el.getBoundingClientRect().top - 16)}px`;
    };
    fit();
    addEventListener('resize', fit);
    return () => removeEventListener('resize', fit);
  }, []);
  const pal = useMemo(() => palette(theme === 'dark'), [theme]);
  const vg = opened?.vg ?? null;

  const show = useCallback(async (name: string, load: () => Promise<Model>, served?: number) => {
    setLoading(name);
    setError(null);
    try {
      const model = await load();
      const g = model.graph ? buildViewGraph(model.graph) : null;
      setScene(null);
      setSelected(-1);
      setAnchor(null);
      setExpanded(g ? initialExpansion(g) : new Uint8Array());
      setRun(null);
      setColorBy('op');
      setOpened({ name, served, model, vg: g });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoading(null);
    }
  }, []);

  const openServed = useCallback(
    (m: ServedModel) =>
      show(
        m.name,
        async () => {
          const res = await fetch(apiPath(`models/${m.index}/file`, {}, true));
          if (!res.ok) throw new Error(`${m.name}: the server answered ${res.status}.`);
          return openModel(bytesSource(m.name, new Uint8Array(await res.arrayBuffer())));
        },
        m.index,
      ),
    [show],
  );

  const openFiles = useCallback(
    (files: File[]) => {
      if (!files.length) return;
      const main = files.find((f) => MAIN.test(f.name)) ?? files[0];
      void show(main.name, () => openModel(fileListSource(files, main)));
    },
    [show],
  );

  useEffect(() => {
    getJson<{ models: ServedModel[] }>(apiPath('models')).then(
      (r) => {
        setServed(r.models);
        if (r.models.length) void openServed(r.models[0]);
      },
      () => setServed([]),
    );
  }, [openServed]);

  // lay out whenever the graph or the set of open modules changes
  useEffect(() => {
    if (!vg) return;
    let live = true;
    const { parent, width, height, source, target } = vg;
    layoutInWorker({ parent, expanded, width, height, source, target }).then(({ layout, millis }) => {
      if (!live) return;
      setLayoutMs(millis);
      setScene(prepareScene(vg, layout, expanded));
    });
    return () => {
      live = false;
    };
  }, [vg, expanded]);

  const onPick = useCallback(
    (item: number, at: Anchor | null) => {
      setSelected(item);
      if (item >= 0 && vg?.kind[item] === 'module') {
        setAnchor(at);
        setExpanded((e) => {
          const next = e.slice();
          next[item] = next[item] ? 0 : 1;
          return next;
        });
      }
    },
    [vg],
  );

  const hits = useMemo(() => (vg ? search(vg, query) : []), [vg, query]);
  const hitSet = useMemo(() => new Set(hits), [hits]);
  const paint = useMemo(
    () => (vg && run ? paintFor(vg, run, colorBy, pal.dark) : null),
    [vg, run, colorBy, pal],
  );
  // the node where NaN/Inf first appeared, outlined in red (or the closed module holding it)
  const alert = useMemo(() => {
    const o = run?.nan_origin;
    let item = o && vg ? itemOfNode(vg, o.node) : -1;
    if (vg && scene) while (item >= 0 && !scene.layout.visible[item]) item = vg.parent[item];
    return item;
  }, [vg, run, scene]);
  const marks = useMemo(() => ({ selected, hits: hitSet, paint, alert }), [selected, hitSet, paint, alert]);
  const goTo = (item: number) => {
    if (!vg) return;
    const next = revealed(vg, expanded, item);
    if (next !== expanded) {
      setAnchor(null);
      setExpanded(next);
    }
    setSelected(item);
    setFocus({ item, seq: Date.now() });
  };
  const setAll = (open: boolean) => {
    if (!vg) return;
    setAnchor(null);
    setExpanded(open ? Uint8Array.from(vg.kind, (k) => (k === 'module' ? 1 : 0)) : new Uint8Array(vg.count));
  };
  const base = (opened?.name ?? 'model').replace(/\.[^.]+$/, '');

  return (
    <section
      ref={root}
      aria-label="Model viewer"
      className={dragging ? 'model-view dragging' : 'model-view'}
      data-testid="model-view"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        openFiles([...e.dataTransfer.files]);
      }}
    >
      <div className="toolbar model-toolbar">
        {served.length > 1 && (
          <select
            className="control"
            aria-label="Model"
            value={served.find((m) => m.name === opened?.name)?.index ?? ''}
            onChange={(e) => {
              const m = served.find((s) => s.index === Number(e.target.value));
              if (m) void openServed(m);
            }}
          >
            {served.map((m) => (
              <option key={m.index} value={m.index}>
                {m.name}
              </option>
            ))}
          </select>
        )}
        <button type="button" className="control" onClick={() => fileInput.current?.click()}>
          Open model…
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          data-testid="model-file-input"
          onChange={(e) => openFiles([...(e.target.files ?? [])])}
        />
        {vg && (
          <div className="model-search">
            <input
              className="control"
              type="search"
              placeholder="Search name or op"
              aria-label="Search nodes"
              data-testid="model-search"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              onKeyDown={(e) => e.key === 'Enter' && hits.length && goTo(hits[0])}
            />
            {query && (
              <ul className="model-results" data-testid="model-results">
                {hits.length === 0 && <li className="muted">no match</li>}
                {hits.map((i) => (
                  <li key={i}>
                    <button type="button" className="link" onClick={() => goTo(i)}>
                      <span className="chip">{vg.op[i] || vg.kind[i]}</span> {vg.name[i]}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        {vg && (
          <>
            <button type="button" className="control" onClick={() => setAll(true)}>
              Expand all
            </button>
            <button type="button" className="control" onClick={() => setAll(false)}>
              Collapse all
            </button>
          </>
        )}
        {vg && (
          <button
            type="button"
            className="control"
            aria-pressed={showRun}
            data-testid="run-toggle"
            onClick={() => setShowRun((v) => !v)}
          >
            Run…
          </button>
        )}
        {scene && (
          <>
            <button
              type="button"
              className="control"
              onClick={() =>
                download(new Blob([sceneToSvg(scene, pal)], { type: 'image/svg+xml' }), `${base}.svg`)
              }
            >
              SVG
            </button>
            <button
              type="button"
              className="control"
              onClick={() => sceneToCanvas(scene, pal).toBlob((b) => b && download(b, `${base}.png`))}
            >
              PNG
            </button>
          </>
        )}
        <span className="muted model-status" data-testid="model-status" data-layout-ms={layoutMs.toFixed(1)}>
          {loading
            ? `Opening ${loading}…`
            : opened
              ? `${opened.name}: ${opened.model.format}${vg ? `, ${opened.model.graph!.nodes.length.toLocaleString('en')} nodes` : ''}${scene ? `, laid out in ${layoutMs.toFixed(0)} ms` : ''}`
              : ''}
        </span>
      </div>
      {error && (
        <div className="banner error" data-testid="model-error">
          {error}
        </div>
      )}
      {!opened && !loading && (
        <div className="empty model-drop">
          Drop a model file here (ONNX, TensorFlow GraphDef, …) or choose <b>Open model…</b>. It is read in
          this page and never uploaded.
        </div>
      )}
      {opened && !vg && <TensorList model={opened.model} />}
      {vg && (
        <div className="model-body">
          {showRun && opened && (
            <RunPanel
              key={opened.served ?? `page:${opened.name}`}
              served={opened.served}
              name={opened.name}
              run={run}
              onRun={setRun}
              colorBy={colorBy}
              onColorBy={setColorBy}
              legend={paint?.legend ?? null}
              onShowNode={(node) => {
                const item = itemOfNode(vg, node);
                if (item >= 0) goTo(item);
              }}
            />
          )}
          {scene ? (
            <GraphCanvas
              scene={scene}
              marks={marks}
              pal={pal}
              focus={focus}
              anchor={anchor}
              onPick={onPick}
            />
          ) : (
            <div className="empty">Laying out {vg.count.toLocaleString('en')} items…</div>
          )}
          {selected >= 0 && <NodePanel vg={vg} item={selected} run={run} onClose={() => setSelected(-1)} />}
        </div>
      )}
    </section>
  );
}

/** The item of the operator the runtime calls `node` (its name, or its id when it has none). */
function itemOfNode(vg: ViewGraph, node: string): number {
  for (let i = 0; i < vg.count; i++) {
    if (vg.kind[i] !== 'op') continue;
    const n = vg.graph.nodes[vg.node[i]];
    if ((n.name || n.id) === node) return i;
  }
  return -1;
}

/** Formats without a graph (weights only): the tensors, each opening its statistics. */
function TensorList({ model }: { model: Model }) {
  const [open, setOpen] = useState<number>(-1);
  return (
    <div className="model-tensors">
      <p className="muted">
        This file holds {model.tensors.length.toLocaleString('en')} tensors and no graph.
      </p>
      <ul>
        {model.tensors.slice(0, 2000).map((t, i) => (
          <li key={t.name}>
            <button type="button" className="link mono" onClick={() => setOpen(i === open ? -1 : i)}>
              {t.name}
            </button>{' '}
            <span className="muted">
              {t.dtype} [{t.shape.join(', ')}]
            </span>
            {i === open && <WeightView tensor={t} />}
          </li>
        ))}
      </ul>
    </div>
  );
}
