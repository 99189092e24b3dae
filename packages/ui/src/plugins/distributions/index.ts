import { lazy } from 'react';
import type { DashboardPlugin } from '../types';

export const distributions: DashboardPlugin = {
  id: 'distributions',
  title: 'Distributions',
  kinds: ['histogram'],
  View: lazy(() => import('./DistributionsView').then((m) => ({ default: m.DistributionsView }))),
};
