import { lazy } from 'react';
import type { DashboardPlugin } from '../types';

export const customScalars: DashboardPlugin = {
  id: 'custom_scalars',
  title: 'Custom scalars',
  kinds: ['custom_scalars'],
  View: lazy(() => import('./CustomScalarsView').then((m) => ({ default: m.CustomScalarsView }))),
};
