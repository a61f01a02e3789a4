/** The "Load more" button of a paged list: shown while the API has more, disabled while the next page loads. */
import type { PagedList } from '../use-paged-list';

export function LoadMore({
  list,
  label,
}: {
  list: Pick<PagedList<unknown>, 'hasMore' | 'loadingMore' | 'loadMore'>;
  label: string;
}) {
  if (!list.hasMore) return null;
  return (
    <button type="button" className="load-more" onClick={list.loadMore} disabled={list.loadingMore}>
      {list.loadingMore ? 'Loading…' : label}
    </button>
  );
}
