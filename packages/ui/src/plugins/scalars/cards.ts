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

/** The URL of the chart the scalars view will draw first, when it is the tab that opens. */
export function firstChartUrl(sortedRuns: RunInfo[], view: ViewState): string | null {
  const opens =
    view.tab === 'scalars' || (!view.tab && sortedRuns.some((r) => r.tags.some((t) => t.kind === 'scalar')));
  if (!opens) return null;
  const hidden = new Set(view.hidden);
  const re = filterRegex(view.runFilter);
  const selected = sortedRuns.filter((r) => !hidden.has(r.name) && re.test(r.name));
  const cards = scalarCards(sortedRuns, selected, view.tagFilter);
  const tag = groupTags(cards.keys())[0]?.tags[0];
  return tag === undefined ? null : scalarRequest(tag, cards.get(tag)!, view.x, null).url;
}

/**
 * The same from GET /api/tags alone, before the run list has arrived, when every run is selected (the
 * first chart then asks for every run of its tag, so its request needs no run names); null otherwise.
 */
export function firstChartUrlFromTags(tags: { tag: string; kind: string }[], view: ViewState): string | null {
  if (view.hidden.length || view.runFilter) return null;
  const scalars = tags.filter((t) => t.kind === 'scalar').map((t) => t.tag);
  if (view.tab !== 'scalars' && (view.tab || !scalars.length)) return null;
  const re = filterRegex(view.tagFilter);
  const tag = groupTags(scalars.filter((t) => re.test(t)))[0]?.tags[0];
  return tag === undefined ? null : scalarRequest(tag, null, view.x, null).url;
}

/** Requests the first chart's data (see firstChartUrl) before React renders the view. */
export function prefetchFirstChart(url: string | null): void {
  if (url) prefetchJson(url, fetchScalars);
}
