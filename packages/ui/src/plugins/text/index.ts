import { lazy } from 'react';
import type { DashboardPlugin } from '../types';

export const text: DashboardPlugin = {
  id: 'text',
  title: 'Text',
  kinds: ['text'],
  View: lazy(() => import('./TextView').then((m) => ({ default: m.TextView }))),
};
