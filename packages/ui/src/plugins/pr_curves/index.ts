import { lazy } from 'react';
import type { DashboardPlugin } from '../types';

export const prCurves: DashboardPlugin = {
  id: 'pr_curves',
  title: 'PR curves',
  kinds: ['pr_curve'],
  View: lazy(() => import('./PrCurvesView').then((m) => ({ default: m.PrCurvesView }))),
};
