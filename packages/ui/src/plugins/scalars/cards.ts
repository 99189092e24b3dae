/**
 * Which charts the scalars view shows and what each asks for, as a pure function: the view renders
 * it, and the page start-up uses it to request the first chart's data as soon as the run list arrives
 * (in parallel with React's first render).
 */
import type { RunInfo } from '../../app/types';
import { prefetchJson } from '../../app/useApi';
import { tagsOfKind } from '../../components/TagSections';
import { filterRegex, groupTags } from '../../lib/tags';
import type { ViewState } from '../../lib/viewState';
import { fetchScalars, scalarRequest } from './useScalarLines';

/** Each scalar tag of the selected runs, with its runs (null: every run that has it, the server's default). */
export function scalarCards(
  runs: RunInfo[],
  selected: RunInfo[],
  tagFilter: string,
): Map<string, string[] | null> {
  const tags = tagsOfKind(selected, ['scalar'], tagFilter);
  const all = tagsOfKind(runs, ['scalar'], tagFilter);
  const out = new Map<string, string[] | null>();
  for (const [tag, names] of tags) out.set(tag, all.get(tag)?.length === names.length ? null : names);
  return out;
}

/** Requests the data of the chart the scalars view will draw first, when it is the tab that opens. */
export function prefetchFirstChart(sortedRuns: RunInfo[], view: ViewState): void {
  const opens =
    view.tab === 'scalars' || (!view.tab && sortedRuns.some((r) => r.tags.some((t) => t.kind === 'scalar')));
  if (!opens) return;
  const hidden = new Set(view.hidden);
  const re = filterRegex(view.runFilter);
  const selected = sortedRuns.filter((r) => !hidden.has(r.name) && re.test(r.name));
  const cards = scalarCards(sortedRuns, selected, view.tagFilter);
  const tag = groupTags(cards.keys())[0]?.tags[0];
  if (tag !== undefined) prefetchJson(scalarRequest(tag, cards.get(tag)!, view.x, null).url, fetchScalars);
}
