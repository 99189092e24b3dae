import { useEffect, useRef, useState } from 'react';
import { eventsUrl } from './api';
import type { DoctorEvent } from './doctor';

/**
 * Live updates over Server-Sent Events. `data` events bump a version per tag (batched per animation
 * frame so a burst of events causes one refetch); `runs` events (and data) ask for the run list again;
 * `doctor` events (a run's findings changed) go to `onDoctor`.
 */
export function useEvents(
  onRuns: () => void,
  onDoctor?: (e: DoctorEvent) => void,
): { versionOf(tag?: string): number; live: boolean } {
  const versions = useRef(new Map<string, number>());
  const [global, setGlobal] = useState(0);
  const [live, setLive] = useState(false);
  const onRunsRef = useRef(onRuns);
  onRunsRef.current = onRuns;
  const onDoctorRef = useRef(onDoctor);
  onDoctorRef.current = onDoctor;
  useEffect(() => {
    const es = new EventSource(eventsUrl());
    let pending: Set<string> | null = null;
    const flush = () => {
      if (!pending) return;
      for (const tag of pending) versions.current.set(tag, (versions.current.get(tag) ?? 0) + 1);
      pending = null;
      setGlobal((g) => g + 1);
      onRunsRef.current(); // counts and step ranges in the run list changed too
    };
    es.onopen = () => setLive(true);
    es.onerror = () => setLive(false);
    es.addEventListener('data', (e) => {
      let tags: string[] = [];
      try {
        tags = (JSON.parse((e as MessageEvent<string>).data) as { tags?: string[] }).tags ?? [];
      } catch {
        return;
      }
      if (!pending) {
        pending = new Set();
        setTimeout(flush, 100);
      }
      for (const t of tags) pending.add(t);
    });
    es.addEventListener('runs', () => onRunsRef.current());
    es.addEventListener('doctor', (e) => {
      try {
        onDoctorRef.current?.(JSON.parse((e as MessageEvent<string>).data) as DoctorEvent);
      } catch {
        // a malformed event: the next summary load brings the state back
      }
    });
    return () => es.close();
  }, []);
  return {
    live,
    versionOf: (tag?: string) => (tag === undefined ? global : (versions.current.get(tag) ?? 0)),
  };
}
