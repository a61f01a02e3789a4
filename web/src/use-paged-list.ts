/**
 * A list the API serves a page at a time (`next_cursor`): the first page loads when the component mounts or a
 * dependency changes (an answer for older dependencies is ignored), "Load more" appends the next one.
 */
import { type Dispatch, type SetStateAction, useCallback, useEffect, useRef, useState } from 'react';

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface PagedList<T> {
  items: T[];
  /** For a change made here (an alert acknowledged) without reading the list again. */
  setItems: Dispatch<SetStateAction<T[]>>;
  hasMore: boolean;
  /** The first page is loading. */
  loading: boolean;
  loadingMore: boolean;
  /** The last failure, of the first page or of a further one. */
  error: unknown;
  loadMore: () => Promise<void>;
  /** Reads the first page again. */
  reload: () => void;
}

export function usePagedList<T>(load: (cursor?: string) => Promise<Page<T>>, deps: readonly unknown[]): PagedList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<unknown>();
  const [generation, setGeneration] = useState(0);
  const current = useRef(0);
  const loader = useRef(load);
  loader.current = load;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps (and reload) decide when to read again
  useEffect(() => {
    const id = ++current.current;
    setLoading(true);
    setError(undefined);
    loader.current().then(
      (page) => {
        if (id !== current.current) return;
        setItems(page.items);
        setNext(page.next);
        setLoading(false);
      },
      (e: unknown) => {
        if (id !== current.current) return;
        setItems([]);
        setNext(null);
        setError(e);
        setLoading(false);
      },
    );
  }, [...deps, generation]);

  const loadMore = useCallback(async () => {
    if (!next) return;
    const id = current.current;
    setLoadingMore(true);
    setError(undefined);
    try {
      const page = await loader.current(next);
      if (id !== current.current) return;
      setItems((old) => [...old, ...page.items]);
      setNext(page.next);
    } catch (e) {
      if (id === current.current) setError(e);
    } finally {
      setLoadingMore(false);
    }
  }, [next]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { items, setItems, hasMore: next !== null, loading, loadingMore, error, loadMore, reload };
}
