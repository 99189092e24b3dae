import { lazy } from 'react';
import type { DashboardPlugin } from '../types';

export const audio: DashboardPlugin = {
  id: 'audio',
  title: 'Audio',
  kinds: ['audio'],
  View: lazy(() => import('./AudioView').then((m) => ({ default: m.AudioView }))),
};
