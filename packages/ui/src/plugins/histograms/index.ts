import { lazy } from 'react';
import type { DashboardPlugin } from '../types';

export const histograms: DashboardPlugin = {
  id: 'histograms',
  title: 'Histograms',
  kinds: ['histogram'],
  View: lazy(() => import('./HistogramsView').then((m) => ({ default: m.HistogramsView }))),
};
