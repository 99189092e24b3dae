import type { DashboardPlugin } from '../types';
import { HparamsView } from './HparamsView';

export const hparams: DashboardPlugin = {
  id: 'hparams',
  title: 'HParams',
  kinds: ['hparams'],
  View: HparamsView,
};
