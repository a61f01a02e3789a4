/** All platforms by category, with search and filters. */
import { useDeferredValue, useId, useMemo, useState } from 'react';
import { api, ok } from '../api/client';
import { authKindName, CATEGORY_NAMES, categoryName } from '../categories';
import { Loading, ProblemMessage } from '../components/feedback';
import { filterMarketplace, type MarketplaceEntry, NO_FILTER } from '../marketplace-filter';
import { href } from '../router';
import { useLoad } from '../use-load';

const PAGE = 48;

export function Marketplace() {
  const registry = useLoad(() => ok(api.GET('/integrations/registry')), []);
  const [filter, setFilter] = useState(NO_FILTER);
  const [shown, setShown] = useState(PAGE);
  const deferred = useDeferredValue(filter);
  const searchId = useId();
  const authId = useId();
  const entries = (registry.data as { integrations?: MarketplaceEntry[] } | undefined)?.integrations;
  const matches = useMemo(() => (entries ? filterMarketplace(entries, deferred) : []), [entries, deferred]);
  const authKinds = useMemo(() => [...new Set((entries ?? []).map((e) => e.auth_kind))].sort(), [entries]);
  const update = (patch: Partial<typeof filter>) => {
    setFilter((f) => ({ ...f, ...patch }));
    setShown(PAGE);
  };

  return (
    <main id="main">
      <h1 tabIndex={-1}>Marketplace</h1>
      <p className="lead">Connect your product to the platforms your customers use.</p>
      <search className="filters" aria-label="Find an integration">
        <label htmlFor={searchId}>Search</label>
        <input
          id={searchId}
          type="search"
          placeholder="Name, category or data (e.g. invoices)"
          value={filter.query}
          onChange={(e) => update({ query: e.target.value })}
        />
        <fieldset className="category-filter">
          <legend>Category</legend>
          <button
            type="button"
            aria-pressed={filter.category === undefined}
            onClick={() => update({ category: undefined })}
          >
            All
          </button>
          {Object.entries(CATEGORY_NAMES).map(([id, name]) => (
            <button
              key={id}
              type="button"
              aria-pressed={filter.category === id}
              onClick={() => update({ category: id })}
            >
              {name}
            </button>
          ))}
        </fieldset>
        <div className="filter-row">
          <label htmlFor={authId}>Sign-in method</label>
          <select
            id={authId}
            value={filter.authKind ?? ''}
            onChange={(e) => update({ authKind: e.target.value || undefined })}
          >
            <option value="">Any</option>
            {authKinds.map((k) => (
              <option key={k} value={k}>
                {authKindName(k)}
              </option>
            ))}
          </select>
          {(
            [
              ['write', 'Can write data'],
              ['webhooks', 'Sends webhooks'],
              ['incremental', 'Incremental sync'],
            ] as const
          ).map(([key, label]) => (
            <label key={key} className="check">
              <input type="checkbox" checked={filter[key]} onChange={(e) => update({ [key]: e.target.checked })} />
              {label}
            </label>
          ))}
        </div>
      </search>
      {registry.loading && !entries ? <Loading what="the catalogue" /> : null}
      <ProblemMessage error={registry.error} action="Loading the catalogue" />
      {entries ? (
        <>
          <p role="status" className="muted">
            {matches.length === entries.length
              ? `${entries.length} integrations`
              : `${matches.length} of ${entries.length} integrations match`}
          </p>
          <ul className="cards">
            {matches.slice(0, shown).map((entry) => (
              <li key={entry.id} className="card">
                <h2>
                  <a href={href({ page: 'platform', id: entry.id })}>{entry.name}</a>
                </h2>
                <p className="muted">{categoryName(entry.category)}</p>
                <p>{entry.summary}</p>
                <ul className="tags" aria-label="What it offers">
                  <li>{authKindName(entry.auth_kind)}</li>
                  <li>{entry.entities.length} data types</li>
                  {entry.supports.write ? <li>Writes</li> : null}
                  {entry.supports.webhooks ? <li>Webhooks</li> : null}
                  {entry.supports.incremental ? <li>Incremental</li> : null}
                </ul>
              </li>
            ))}
          </ul>
          {matches.length > shown ? (
            <button type="button" className="load-more" onClick={() => setShown((n) => n + PAGE)}>
              Load more ({matches.length - shown} more)
            </button>
          ) : null}
          {matches.length === 0 ? <p>No integration matches. Try fewer words or another category.</p> : null}
        </>
      ) : null}
    </main>
  );
}
