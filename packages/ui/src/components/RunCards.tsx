import type { ReactNode } from 'react';
import { LazyCard } from './LazyCard';
import { RunLabel, TagSections } from './TagSections';

/**
 * The dashboards that show one run per card (histograms, distributions, images, audio, text): tags
 * grouped into sections, one lazily drawn card per tag and run, labelled with the run's colour.
 */
export function RunCards({
  tags,
  empty,
  testId,
  wide,
  color,
  children,
}: {
  /** tag -> the runs that have it (tagsOfKind) */
  tags: Map<string, string[]>;
  empty: string;
  testId: string;
  wide?: boolean;
  color(run: string): string;
  children(run: string, tag: string): ReactNode;
}) {
  return (
    <TagSections
      tags={[...tags.keys()]}
      empty={empty}
      render={(tag) =>
        tags.get(tag)!.map((run) => (
          <LazyCard
            key={`${tag}\n${run}`}
            title={tag}
            actions={<RunLabel run={run} color={color(run)} />}
            testId={testId}
            wide={wide}
          >
            {children(run, tag)}
          </LazyCard>
        ))
      }
    />
  );
}
