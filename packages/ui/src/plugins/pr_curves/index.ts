import type { DashboardPlugin } from '../types';
import { PrCurvesView } from './PrCurvesView';

export const prCurves: DashboardPlugin = {
  id: 'pr_curves',
  title: 'PR curves',
  kinds: ['pr_curve'],
  View: PrCurvesView,
};
