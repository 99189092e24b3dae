/**
 * The Run panel of the model view: choose an input (an image with its normalization, a .npy, a JSON
 * array, or random data), run the served model on the server, colour the graph by a statistic, see
 * where NaN/Inf first appeared, and compute Grad-CAM for a layer and class over the input image.
 * A model dropped on the page exists only in this page, so it cannot be run on the server: the panel
 * says how to serve it instead (the page never uploads a model on its own).
 */
import { useEffect, useRef, useState } from 'react';
import { formatValue } from '../../lib/format';
import {
  type GradCam,
  imageUrl,
  type Prepared,
  prepareModel,
  type RunInput,
  type RunResult,
  runGradCam,
  runModel,
} from './runApi';
import {
  COLOR_BY,
  type ColorBy,
  FINITE_COLOR,
  type Legend,
  legendGradient,
  NONFINITE_COLOR,
} from './runColors';

const PRESETS = ['imagenet', 'unit', 'raw', 'symmetric'];
const PRESET_HELP: Record<string, string> = {
  imagenet: '/255, then ImageNet mean and std',
  unit: '[0, 1]',
  raw: '0…255',
  symmetric: '[-1, 1]',
};
const isImage = (f: File | undefined) => !!f && /\.(png|jpe?g)$/i.test(f.name);

interface Props {
  /** the served model's index; undefined for a model opened in the page */
  served: number | undefined;
  name: string;
  run: RunResult | null;
  onRun(run: RunResult | null): void;
  colorBy: ColorBy;
  onColorBy(by: ColorBy): void;
  legend: Legend | null;
  /** shows the graph node with this name */
  onShowNode(node: string): void;
}

export function RunPanel({ served, name, run, onRun, colorBy, onColorBy, legend, onShowNode }: Props) {
  const [file, setFile] = useState<File | undefined>();
  const fileInput = useRef<HTMLInputElement>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [preset, setPreset] = useState('imagenet');
  const [mean, setMean] = useState('');
  const [std, setStd] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [elapsed, setElapsed] = useState(0);
  // the panel is keyed by model: an answer arriving after the user switched models is dropped
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  useEffect(() => {
    if (!isImage(file)) return setPreview(null);
    const url = URL.createObjectURL(file!);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  // open the model on the server as soon as the panel shows: the first run then starts at once, and a
  // model the runtime cannot run says so before anyone picks an input
  const [prepared, setPrepared] = useState<Prepared | null>(null);
  useEffect(() => {
    if (served === undefined) return;
    prepareModel(served).then(
      (p) => alive.current && setPrepared(p),
      (e: Error) => alive.current && setError(e.message),
    );
  }, [served]);

  useEffect(() => {
    if (!busy) return;
    const t0 = performance.now();
    const timer = setInterval(() => setElapsed((performance.now() - t0) / 1000), 200);
    return () => clearInterval(timer);
  }, [busy]);

  if (served === undefined)
    return (
      <aside className="model-run" data-testid="run-panel" aria-label="Run the model">
        <h3>Run</h3>
        <p className="muted">
          {name} was opened in this page and exists only here: the runtime runs models on the server that
          serves this page. To run it, start <code>tensorscope serve {name}</code> and open the page it
          prints, or use <code>tensorscope run {name}</code> from the command line.
        </p>
      </aside>
    );

  const start = async () => {
    setBusy(true);
    setError(null);
    setElapsed(0);
    const input: RunInput = { file, preset, mean: mean.trim(), std: std.trim() };
    try {
      const result = await runModel(served, input);
      if (alive.current) onRun(result);
    } catch (e) {
      if (alive.current) setError((e as Error).message);
    } finally {
      if (alive.current) setBusy(false);
    }
  };

  return (
    <aside className="model-run" data-testid="run-panel" aria-label="Run the model">
      <h3>Run</h3>
      <fieldset className="run-input">
        <legend>Input</legend>
        {prepared?.inputs.map((v, k) => (
          <div key={v.name} className="muted mono" data-testid="run-model-input">
            {v.name}: {v.dtype ?? '?'} [{(v.shape ?? []).map((d) => d ?? '?').join(', ')}]
            {k > 0 ? ' (random)' : ''}
          </div>
        ))}
        <label>
          <input
            type="radio"
            name="run-input"
            checked={!file}
            onChange={() => {
              setFile(undefined);
              if (fileInput.current) fileInput.current.value = '';
            }}
          />{' '}
          random (seeded)
        </label>
        <label className="run-file">
          <input
            ref={fileInput}
            type="file"
            accept=".png,.jpg,.jpeg,.npy,.json"
            data-testid="run-input-file"
            aria-label="Input file (image, .npy or JSON array)"
            onChange={(e) => setFile(e.target.files?.[0])}
          />
        </label>
        {file && (
          <div className="muted" data-testid="run-input-name">
            {file.name} ({file.size.toLocaleString('en')} bytes)
          </div>
        )}
        {preview && <img className="run-preview" src={preview} alt="the chosen input" />}
        {isImage(file) && (
          <div className="run-norm">
            <label>
              normalize{' '}
              <select
                className="control"
                value={preset}
                onChange={(e) => setPreset(e.target.value)}
                aria-label="Normalization preset"
              >
                {PRESETS.map((p) => (
                  <option key={p} value={p}>
                    {p}
                  </option>
                ))}
              </select>
            </label>
            <span className="muted">{PRESET_HELP[preset]}</span>
            <input
              className="control"
              placeholder="mean, e.g. 0.485,0.456,0.406"
              aria-label="Mean per channel"
              value={mean}
              onChange={(e) => setMean(e.target.value)}
            />
            <input
              className="control"
              placeholder="std, e.g. 0.229,0.224,0.225"
              aria-label="Std per channel"
              value={std}
              onChange={(e) => setStd(e.target.value)}
            />
          </div>
        )}
      </fieldset>
      <button
        type="button"
        className="control primary"
        disabled={busy}
        onClick={start}
        data-testid="run-button"
      >
        {busy ? 'Running…' : 'Run'}
      </button>
      <div className="muted run-status" data-testid="run-status">
        {busy
          ? `Running on the server… ${elapsed.toFixed(1)} s`
          : run
            ? `Run ${run.run}: ${Object.keys(run.tensors).length} tensors from ${run.inputs[0]?.source ?? 'no input'}`
            : ''}
      </div>
      {error && (
        <div className="banner error" data-testid="run-error">
          {error}
        </div>
      )}
      {run && (
        <>
          <label className="run-color">
            Colour by{' '}
            <select
              className="control"
              data-testid="color-by"
              value={colorBy}
              onChange={(e) => onColorBy(e.target.value as ColorBy)}
            >
              {COLOR_BY.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.label}
                </option>
              ))}
            </select>
          </label>
          {legend && <LegendBar legend={legend} />}
          <NanOrigin run={run} onShowNode={onShowNode} />
          {run.not_capturable.length > 0 && (
            <p className="muted">
              {run.not_capturable.length} values could not be captured (inside If/Loop bodies).
            </p>
          )}
          <GradCamSection served={served} run={run} />
        </>
      )}
    </aside>
  );
}

function LegendBar({ legend }: { legend: Legend }) {
  if (legend.by === 'nonfinite')
    return (
      <div className="run-legend" data-testid="run-legend">
        <span className="swatch" style={{ background: FINITE_COLOR }} /> all finite{' '}
        <span className="swatch" style={{ background: NONFINITE_COLOR }} /> has NaN/Inf
      </div>
    );
  return (
    <div className="run-legend" data-testid="run-legend">
      <div className="run-legend-bar" style={{ background: legendGradient() }} />
      <div className="run-legend-ends">
        <span>{formatValue(legend.min)}</span>
        <span>{formatValue(legend.max)}</span>
      </div>
      <div className="muted">closed modules: the average over their operators</div>
    </div>
  );
}

function NanOrigin({ run, onShowNode }: { run: RunResult; onShowNode(node: string): void }) {
  const o = run.nan_origin;
  if (!o)
    return (
      <p className="muted" data-testid="nan-origin">
        No NaN or Inf in any captured tensor.
      </p>
    );
  const text =
    o.kind === 'node'
      ? `NaN/Inf first produced by ${o.op} node ${o.node} from finite inputs (${o.nan} NaN, ${o.inf} Inf).`
      : `NaN/Inf come from the ${o.kind} ${o.name}, first read by ${o.op} node ${o.node}.`;
  return (
    <div className="banner error" data-testid="nan-origin">
      {text}{' '}
      <button type="button" className="link" onClick={() => onShowNode(o.node)}>
        Show
      </button>
    </div>
  );
}

function GradCamSection({ served, run }: { served: number; run: RunResult }) {
  const layers = run.gradcam_layers;
  const [layer, setLayer] = useState(layers.at(-1) ?? '');
  const [cls, setCls] = useState<number | undefined>(undefined);
  const [cam, setCam] = useState<GradCam | null>(run.gradcam ?? null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // a new run starts over
  useEffect(() => {
    setLayer(run.gradcam_layers.at(-1) ?? '');
    setCls(undefined);
    setCam(run.gradcam ?? null);
    setError(null);
  }, [run]);

  const top = run.classes?.top ?? [];
  const compute = async () => {
    setBusy(true);
    setError(null);
    try {
      setCam(await runGradCam(served, run.run, layer, cls));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="run-gradcam" data-testid="gradcam">
      <h4>Classes</h4>
      {top.length ? (
        <table className="data-table compact" data-testid="top-classes">
          <thead>
            <tr>
              <th>class</th>
              <th>probability</th>
              <th>score</th>
            </tr>
          </thead>
          <tbody>
            {top.map((c) => (
              <tr key={c.class} data-class={c.class}>
                <td className="mono">{c.class}</td>
                <td className="mono">{(100 * c.probability).toFixed(1)}%</td>
                <td className="mono muted">{formatValue(c.score)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">The first output is not a list of class scores.</p>
      )}
      <h4>Grad-CAM</h4>
      {run.gradcam_unsupported ? (
        <p className="muted">Not available: {run.gradcam_unsupported}.</p>
      ) : !layers.length ? (
        <p className="muted">Not available: the model has no [N, C, H, W] layer.</p>
      ) : (
        <>
          <label>
            layer{' '}
            <select
              className="control"
              data-testid="gradcam-layer"
              value={layer}
              onChange={(e) => setLayer(e.target.value)}
            >
              {layers.map((l) => (
                <option key={l} value={l}>
                  {run.tensors[l]?.op} {l} [{run.tensors[l]?.shape.join('×')}]
                </option>
              ))}
            </select>
          </label>
          <label>
            class{' '}
            <select
              className="control"
              data-testid="gradcam-class"
              value={cls ?? ''}
              onChange={(e) => setCls(e.target.value === '' ? undefined : Number(e.target.value))}
            >
              <option value="">top-1{top.length ? ` (${top[0].class})` : ''}</option>
              {top.map((c) => (
                <option key={c.class} value={c.class}>
                  {c.class} ({(100 * c.probability).toFixed(1)}%)
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="control"
            disabled={busy}
            onClick={compute}
            data-testid="gradcam-button"
          >
            {busy ? 'Computing…' : 'Show Grad-CAM'}
          </button>
          <span className="muted"> (gradients on the CPU: seconds for big models)</span>
          {error && (
            <div className="banner error" data-testid="gradcam-error">
              {error}
            </div>
          )}
          {cam && (
            <figure className="run-cam">
              <img
                className="run-image"
                src={imageUrl(cam.image)}
                alt={`Grad-CAM of class ${cam.class} at ${cam.layer}`}
                data-testid="gradcam-image"
                onLoad={(e) => e.currentTarget.scrollIntoView({ block: 'nearest' })}
              />
              <figcaption className="muted" data-testid="gradcam-caption">
                class {cam.class} at {cam.layer} ({cam.shape.join('×')})
              </figcaption>
            </figure>
          )}
        </>
      )}
    </section>
  );
}
