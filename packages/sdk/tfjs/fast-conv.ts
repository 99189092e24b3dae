/**
 * A typed-array Conv2DBackpropFilter for TF.js's cpu backend. The stock kernel reads every element
 * through TensorBuffer.get(...indices), which makes a small MNIST CNN spend seconds per step in the
 * filter gradient alone; this one walks the NHWC buffers with plain offsets (same sums, same order of
 * accumulation per output element, in float64). Channels-first input falls back to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';

type TypedArray = Float32Array | Int32Array | Uint8Array;

interface CpuBackend {
  data: { get(id: object): { values: TypedArray } };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo;
}

interface Attrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

export function conv2dBackpropFilterNHWC(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  info: tf.backend_util.Conv2DInfo,
): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dW = new Float64Array(fh * fw * inChannels * outChannels);
  // skipping x == 0 is exact only while 0 * dy is 0: not when dy holds NaN/Inf
  let skipZeros = true;
  for (let i = 0; i < dy.length && skipZeros; i++) skipZeros = Number.isFinite(dy[i]);
  for (let wR = 0; wR < fh; wR++) {
    const yRMin = Math.max(0, Math.ceil((top - wR) / sh));
    const yRMax = Math.min(outHeight, (inHeight + top - wR) / sh);
    for (let wC = 0; wC < fw; wC++) {
      const yCMin = Math.max(0, Math.ceil((left - wC) / sw));
      const yCMax = Math.min(outWidth, (inWidth + left - wC) / sw);
      const wBase = (wR * fw + wC) * inChannels * outChannels;
      for (let b = 0; b < batchSize; b++) {
        for (let yR = yRMin; yR < yRMax; yR++) {
          const xR = wR + yR * sh - top;
          for (let yC = yCMin; yC < yCMax; yC++) {
            const xC = wC + yC * sw - left;
            const xOff = ((b * inHeight + xR) * inWidth + xC) * inChannels;
            const dyOff = ((b * outHeight + yR) * outWidth + yC) * outChannels;
            for (let d1 = 0; d1 < inChannels; d1++) {
              const xv = x[xOff + d1];
              if (xv === 0 && skipZeros) continue; // ReLU outputs are mostly zeros
              const o = wBase + d1 * outChannels;
              for (let d2 = 0; d2 < outChannels; d2++) dW[o + d2] += xv * dy[dyOff + d2];
            }
          }
        }
      }
    }
  }
  return Float32Array.from(dW);
}

let installed = false;

/** Replaces the cpu backend's Conv2DBackpropFilter kernel (once per process). */
export function useFastConvBackprop(): void {
  if (installed) return;
  const stock = tf.getKernel('Conv2DBackpropFilter', 'cpu');
  if (!stock) return;
  installed = true;
  tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'cpu',
    kernelFunc: (args) => {
      const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const attrs = args.attrs as unknown as Attrs;
      if (attrs.dataFormat === 'NCHW') return stock.kernelFunc(args);
      const backend = args.backend as unknown as CpuBackend;
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        attrs.filterShape,
        attrs.strides,
        1,
        attrs.pad,
        attrs.dimRoundingMode,
        false,
        'channelsLast',
      );
      const values = conv2dBackpropFilterNHWC(
        backend.data.get(x.dataId).values,
        backend.data.get(dy.dataId).values,
        info,
      );
      return backend.makeTensorInfo(info.filterShape, 'float32', values);
    },
  });
}
