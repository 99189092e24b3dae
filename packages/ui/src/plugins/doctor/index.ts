import { lazy } from 'react';
import type { DashboardPlugin } from '../types';

export const doctor: DashboardPlugin = {
  id: 'doctor',
  title: 'Doctor',
  kinds: ['scalar', 'histogram'],
  View: lazy(() => import('./DoctorView').then((m) => ({ default: m.DoctorView }))),
};
