/** Decoding of plugin_data contents: hparams, pr_curves, custom_scalars, mesh. */
import { ProtoReader } from '../proto/reader';

export type HparamValue = number | string | boolean | null;

export interface HparamInfo {
  name: string;
  displayName: string;
  description: string;
  /** 0 unset, 1 string, 2 bool, 3 float64 */
  type: number;
  domainDiscrete?: HparamValue[];
  domainInterval?: { min: number; max: number };
}

export interface HparamsValue {
  experiment?: {
    name: string;
    description: string;
    user: string;
    timeCreatedSecs: number;
    hparamInfos: HparamInfo[];
    metricInfos: { group: string; tag: string; displayName: string; description: string }[];
  };
  sessionStart?: {
    hparams: Record<string, HparamValue>;
    groupName: string;
    startTimeSecs: number;
    modelUri: string;
  };
  sessionEnd?: { status: number; endTimeSecs: number };
}

/** google.protobuf.Value */
function decodeValue(r: ProtoReader): HparamValue {
  let v: HparamValue = null;
  while (!r.done) {
    const t = r.tag();
    switch (t) {
      case (2 << 3) | 1:
        v = r.double();
        break;
      case (3 << 3) | 2:
        v = r.string();
        break;
      case (4 << 3) | 0:
        v = r.bool();
        break;
      default:
        r.skip(t & 7);
    }
  }
  return v;
}

function decodeListValue(r: ProtoReader): HparamValue[] {
  const out: HparamValue[] = [];
  while (!r.done) {
    const t = r.tag();
    if (t === ((1 << 3) | 2)) out.push(decodeValue(r.sub()));
    else r.skip(t & 7);
  }
  return out;
}

export function decodeHparams(content: Uint8Array): HparamsValue {
  const r = new ProtoReader(content);
  const out: HparamsValue = {};
  while (!r.done) {
    const t = r.tag();
    switch (t) {
      case (2 << 3) | 2:
        out.experiment = decodeExperiment(r.sub());
        break;
      case (3 << 3) | 2:
        out.sessionStart = decodeSessionStart(r.sub());
        break;
      case (4 << 3) | 2: {
        const s = r.sub();
        const end = { status: 0, endTimeSecs: 0 };
        while (!s.done) {
          const st = s.tag();
          if (st === ((1 << 3) | 0)) end.status = s.uint32();
          else if (st === ((2 << 3) | 1)) end.endTimeSecs = s.double();
          else s.skip(st & 7);
        }
        out.sessionEnd = end;
        break;
      }
      default:
        r.skip(t & 7);
    }
  }
  return out;
}

function decodeExperiment(r: ProtoReader): NonNullable<HparamsValue['experiment']> {
  const e: NonNullable<HparamsValue['experiment']> = {
    name: '',
    description: '',
    user: '',
    timeCreatedSecs: 0,
    hparamInfos: [],
    metricInfos: [],
  };
  while (!r.done) {
    const t = r.tag();
    switch (t) {
      case (6 << 3) | 2:
        e.name = r.string();
        break;
      case (1 << 3) | 2:
        e.description = r.string();
        break;
      case (2 << 3) | 2:
        e.user = r.string();
        break;
      case (3 << 3) | 1:
        e.timeCreatedSecs = r.double();
        break;
      case (4 << 3) | 2:
        e.hparamInfos.push(decodeHparamInfo(r.sub()));
        break;
      case (5 << 3) | 2:
        e.metricInfos.push(decodeMetricInfo(r.sub()));
        break;
      default:
        r.skip(t & 7);
    }
  }
  return e;
}

function decodeHparamInfo(r: ProtoReader): HparamInfo {
  const h: HparamInfo = { name: '', displayName: '', description: '', type: 0 };
  while (!r.done) {
    const t = r.tag();
    switch (t) {
      case (1 << 3) | 2:
        h.name = r.string();
        break;
      case (2 << 3) | 2:
        h.displayName = r.string();
        break;
      case (3 << 3) | 2:
        h.description = r.string();
        break;
      case (4 << 3) | 0:
        h.type = r.uint32();
        break;
      case (5 << 3) | 2:
        h.domainDiscrete = decodeListValue(r.sub());
        break;
      case (6 << 3) | 2: {
        const s = r.sub();
        const iv = { min: 0, max: 0 };
        while (!s.done) {
          const st = s.tag();
          if (st === ((1 << 3) | 1)) iv.min = s.double();
          else if (st === ((2 << 3) | 1)) iv.max = s.double();
          else s.skip(st & 7);
        }
        h.domainInterval = iv;
        break;
      }
      default:
        r.skip(t & 7);
    }
  }
  return h;
}

function decodeMetricInfo(r: ProtoReader): NonNullable<HparamsValue['experiment']>['metricInfos'][number] {
  const m = { group: '', tag: '', displayName: '', description: '' };
  while (!r.done) {
    const t = r.tag();
    switch (t) {
      case (1 << 3) | 2: {
        const s = r.sub();
        while (!s.done) {
          const st = s.tag();
          if (st === ((1 << 3) | 2)) m.group = s.string();
          else if (st === ((2 << 3) | 2)) m.tag = s.string();
          else s.skip(st & 7);
        }
        break;
      }
      case (3 << 3) | 2:
        m.displayName = r.string();
        break;
      case (4 << 3) | 2:
        m.description = r.string();
        break;
      default:
        r.skip(t & 7);
    }
  }
  return m;
}

function decodeSessionStart(r: ProtoReader): NonNullable<HparamsValue['sessionStart']> {
  const s: NonNullable<HparamsValue['sessionStart']> = {
    hparams: {},
    groupName: '',
    startTimeSecs: 0,
    modelUri: '',
  };
  while (!r.done) {
    const t = r.tag();
    switch (t) {
      case (1 << 3) | 2: {
        const e = r.sub();
        let key = '';
        let value: HparamValue = null;
        while (!e.done) {
          const et = e.tag();
          if (et === ((1 << 3) | 2)) key = e.string();
          else if (et === ((2 << 3) | 2)) value = decodeValue(e.sub());
          else e.skip(et & 7);
        }
        s.hparams[key] = value;
        break;
      }
      case (2 << 3) | 2:
        s.modelUri = r.string();
        break;
      case (4 << 3) | 2:
        s.groupName = r.string();
        break;
      case (5 << 3) | 1:
        s.startTimeSecs = r.double();
        break;
      default:
        r.skip(t & 7);
    }
  }
  return s;
}

/** PrCurvePluginData.num_thresholds */
export function decodePrCurveNumThresholds(content: Uint8Array): number {
  const r = new ProtoReader(content);
  let n = 0;
  while (!r.done) {
    const t = r.tag();
    if (t === ((2 << 3) | 0)) n = r.uint32();
    else r.skip(t & 7);
  }
  return n;
}

export interface CustomScalarChart {
  title: string;
  kind: 'multiline' | 'margin';
  /** multiline: tag regexes; margin: the value tags */
  tags: string[];
  /** margin: [value, lower, upper] per series */
  series?: { value: string; lower: string; upper: string }[];
}

export interface CustomScalarLayout {
  categories: { title: string; closed: boolean; charts: CustomScalarChart[] }[];
}

export function decodeLayout(bytes: Uint8Array): CustomScalarLayout {
  const r = new ProtoReader(bytes);
  const layout: CustomScalarLayout = { categories: [] };
  while (!r.done) {
    const t = r.tag();
    if (t !== ((2 << 3) | 2)) {
      r.skip(t & 7);
      continue;
    }
    const c = r.sub();
    const cat = { title: '', closed: false, charts: [] as CustomScalarChart[] };
    while (!c.done) {
      const ct = c.tag();
      if (ct === ((1 << 3) | 2)) cat.title = c.string();
      else if (ct === ((3 << 3) | 0)) cat.closed = c.bool();
      else if (ct === ((2 << 3) | 2)) cat.charts.push(decodeChart(c.sub()));
      else c.skip(ct & 7);
    }
    layout.categories.push(cat);
  }
  return layout;
}

function decodeChart(r: ProtoReader): CustomScalarChart {
  const chart: CustomScalarChart = { title: '', kind: 'multiline', tags: [] };
  while (!r.done) {
    const t = r.tag();
    if (t === ((1 << 3) | 2)) chart.title = r.string();
    else if (t === ((2 << 3) | 2)) {
      const m = r.sub();
      while (!m.done) {
        const mt = m.tag();
        if (mt === ((1 << 3) | 2)) chart.tags.push(m.string());
        else m.skip(mt & 7);
      }
    } else if (t === ((3 << 3) | 2)) {
      chart.kind = 'margin';
      chart.series = [];
      const m = r.sub();
      while (!m.done) {
        const mt = m.tag();
        if (mt !== ((1 << 3) | 2)) {
          m.skip(mt & 7);
          continue;
        }
        const s = m.sub();
        const series = { value: '', lower: '', upper: '' };
        while (!s.done) {
          const st = s.tag();
          if (st === ((1 << 3) | 2)) series.value = s.string();
          else if (st === ((2 << 3) | 2)) series.lower = s.string();
          else if (st === ((3 << 3) | 2)) series.upper = s.string();
          else s.skip(st & 7);
        }
        chart.series.push(series);
        chart.tags.push(series.value);
      }
    } else r.skip(t & 7);
  }
  return chart;
}

export interface MeshInfo {
  name: string;
  /** 1 vertex, 2 face, 3 color */
  contentType: number;
  jsonConfig: string;
  shape: number[];
  components: number;
}

export function decodeMesh(content: Uint8Array): MeshInfo {
  const r = new ProtoReader(content);
  const m: MeshInfo = { name: '', contentType: 0, jsonConfig: '', shape: [], components: 0 };
  while (!r.done) {
    const t = r.tag();
    switch (t >>> 3) {
      case 2:
        m.name = r.string();
        break;
      case 3:
        m.contentType = r.uint32();
        break;
      case 5:
        m.jsonConfig = r.string();
        break;
      case 6:
        r.packed(t & 7, (x) => x.int64(), m.shape);
        break;
      case 7:
        m.components = r.uint32();
        break;
      default:
        r.skip(t & 7);
    }
  }
  return m;
}
