import type { ComponentType } from 'react';
import type { Kind, RunInfo } from '../app/types';
import type { Theme, ViewState } from '../lib/viewState';

/** What every dashboard view gets from the shell. */
export interface PluginProps {
  /** every run the server knows */
  runs: RunInfo[];
  /** the runs switched on in the sidebar, in sidebar order */
  selected: RunInfo[];
  color(run: string): string;
  view: ViewState;
  update(patch: Partial<ViewState>): void;
  /** changes whenever live data arrives for the tag (or for anything, with no tag) */
  versionOf(tag?: string): number;
  theme: Theme;
}

export interface DashboardPlugin {
  id: string;
  title: string;
  /** the tab is shown when some run has a tag of one of these kinds */
  kinds: readonly Kind[];
  /** overrides the kinds test, for plugins not fed by run tags */
  available?(runs: RunInfo[]): boolean;
  View: ComponentType<PluginProps>;
}
