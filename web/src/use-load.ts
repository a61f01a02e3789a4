/** Loads data for a component: the value, the error, whether it is loading, and a way to load again. */
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [generation, setGeneration] = useState(0);
  const current = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps decide when to load again
  useEffect(() => {
    const id = ++current.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => {
        if (id === current.current) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (id === current.current) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}
