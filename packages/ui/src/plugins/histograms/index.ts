import type { DashboardPlugin } from '../types';
import { HistogramsView } from './HistogramsView';

export const histograms: DashboardPlugin = {
  id: 'histograms',
  title: 'Histograms',
  kinds: ['histogram'],
  View: HistogramsView,
};
