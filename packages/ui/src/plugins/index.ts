/** Every dashboard, in tab order. Adding one is one line here plus its folder. */
import { audio } from './audio';
import { customScalars } from './custom_scalars';
import { distributions } from './distributions';
import { doctor } from './doctor';
import { histograms } from './histograms';
import { hparams } from './hparams';
import { images } from './images';
import { model } from './model';
import { prCurves } from './pr_curves';
import { scalars } from './scalars';
import { text } from './text';
import type { DashboardPlugin } from './types';

export const plugins: DashboardPlugin[] = [
  scalars,
  customScalars,
  histograms,
  distributions,
  images,
  audio,
  text,
  prCurves,
  hparams,
  doctor,
  model,
];
