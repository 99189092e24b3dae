/**
 * Findings on stored weights (ids shared with the doctor): `broken_weights` for NaN/Inf, all-zero
 * tensors, dead conv filters and extreme magnitudes; `bad_init` for a scale far from what the fan-in
 * implies. Pure functions over one tensor's data and stats; thresholds documented in docs/models.md.
 */
import type { Finding } from '@tensorscope/formats/model';
import type { NumericArray, TensorStats } from './stats';

/** |w| above this in a weight matrix or kernel is reported (fp16 overflows at 65504). */
export const EXTREME_MAGNITUDE = 1e4;
/**
 * std x sqrt(fan) outside [LOW, HIGH] for both fan-in and fan-out is `bad_init`: common schemes give
 * 0.58 (PyTorch default) to 1.41 (He) for the fan they scale by.
 */
export const BAD_INIT_LOW = 0.05;
export const BAD_INIT_HIGH = 10;
/** names of kernels that are computed, not learned: dead-filter checks skip them */
export const FIXED_KERNEL = /buffer|basis|window|filterbank/i;
/** bad_init needs this many values for the std to mean something */
export const BAD_INIT_MIN_VALUES = 256;

/** How a weight is used: what its fan-in is and whether dim 0 indexes conv output filters. */
export interface WeightRole {
  fanIn?: number;
  /** PyTorch's fan-out (out channels x kernel size): `mode="fan_out"` initializations scale by it */
  fanOut?: number;
  /** dim 0 indexes output filters (Conv weights [out, in/groups, k...]) */
  convFilters?: boolean;
  /** embeddings, norms and other tensors whose scale is not set by fan-in */
  noInitRule?: boolean;
}

const fmt = (x: number) =>
  Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : +x.toPrecision(3);

const isFloat = (d: NumericArray) => d instanceof Float32Array || d instanceof Float64Array;

/** Output filters (slices along dim 0) that are entirely zero. */
export function deadFilters(data: NumericArray, filters: number): number {
  if (!filters || data.length % filters) return 0;
  const size = data.length / filters;
  let dead = 0;
  for (let f = 0; f < filters; f++) {
    let zero = true;
    for (let i = f * size, end = i + size; i < end; i++) {
      if (data[i] !== 0 && data[i] !== 0n) {
        zero = false;
        break;
      }
    }
    if (zero) dead++;
  }
  return dead;
}

export function weightFindings(
  name: string,
  shape: number[],
  data: NumericArray,
  stats: TensorStats,
  role: WeightRole = {},
): Finding[] {
  const out: Finding[] = [];
  const tensors = [name];
  // a lone infinity is a constant (a clip bound, a mask fill value), not a broken weight
  const inf = stats.count > 1 ? stats.posInf + stats.negInf : 0;
  const nonFinite = stats.nan + inf;
  if (nonFinite) {
    const parts = [
      stats.nan && `${stats.nan} NaN`,
      stats.posInf + stats.negInf && `${stats.posInf + stats.negInf} Inf`,
    ];
    out.push({
      id: 'broken_weights',
      severity: 'error',
      message: `${name} holds ${parts.filter(Boolean).join(' and ')} of ${stats.count} values.`,
      tensors,
    });
  }
  // biases and norm parameters are legitimately all zero or small; judge matrices and kernels only
  const matrix = shape.length >= 2 && stats.count >= 2;
  if (!matrix || !isFloat(data)) return out;
  if (stats.zeros === stats.count) {
    out.push({ id: 'broken_weights', severity: 'warning', message: `${name} is all zeros.`, tensors });
    return out;
  }
  // fixed transforms stored as conv kernels (an STFT basis has all-zero sine rows at DC and Nyquist)
  if (role.convFilters && !FIXED_KERNEL.test(name)) {
    const dead = deadFilters(data, shape[0]);
    if (dead) {
      out.push({
        id: 'broken_weights',
        severity: 'warning',
        message: `${dead} of ${shape[0]} filters of ${name} are all zeros (dead filters).`,
        tensors,
      });
    }
  }
  if (stats.absMax > EXTREME_MAGNITUDE) {
    out.push({
      id: 'broken_weights',
      severity: 'warning',
      message: `${name} has extreme values (max |w| = ${fmt(stats.absMax)}, above ${fmt(EXTREME_MAGNITUDE)}).`,
      tensors,
    });
  }
  if (role.fanIn && !role.noInitRule && stats.finite >= BAD_INIT_MIN_VALUES) {
    // far from both the fan-in and the fan-out scale: schemes use one or the other (or their mean)
    const ratios = [role.fanIn, role.fanOut ?? role.fanIn].map((fan) => stats.std * Math.sqrt(fan));
    const high = Math.min(...ratios) > BAD_INIT_HIGH;
    if (high || Math.max(...ratios) < BAD_INIT_LOW) {
      const he = Math.sqrt(2 / role.fanIn);
      const times = high ? `${fmt(stats.std / he)}x` : `1/${fmt(he / stats.std)} of`;
      const fanOut =
        role.fanOut && role.fanOut !== role.fanIn
          ? `; its fan-out of ${role.fanOut} implies ${fmt(Math.sqrt(2 / role.fanOut))}`
          : '';
      out.push({
        id: 'bad_init',
        severity: 'warning',
        message: `${name} has std ${fmt(stats.std)}, ${times} the ${fmt(he)} that its fan-in of ${role.fanIn} implies (He init${fanOut}).`,
        tensors,
      });
    }
  }
  return out;
}
