import type { DashboardPlugin } from '../types';
import { ImagesView } from './ImagesView';

export const images: DashboardPlugin = { id: 'images', title: 'Images', kinds: ['image'], View: ImagesView };
