import { lazy } from 'react';
import type { DashboardPlugin } from '../types';

export const images: DashboardPlugin = {
  id: 'images',
  title: 'Images',
  kinds: ['image'],
  View: lazy(() => import('./ImagesView').then((m) => ({ default: m.ImagesView }))),
};
