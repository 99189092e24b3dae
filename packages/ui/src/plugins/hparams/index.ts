import { lazy } from 'react';
import type { DashboardPlugin } from '../types';

export const hparams: DashboardPlugin = {
  id: 'hparams',
  title: 'HParams',
  kinds: ['hparams'],
  View: lazy(() => import('./HparamsView').then((m) => ({ default: m.HparamsView }))),
};
