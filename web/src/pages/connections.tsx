/**
 * Every connection of the tenant with its health and last sync, a page at a time; the outcome of an OAuth round trip
 * (`?connection_id=` or `?error=` on the way back) or of a disconnect (`?disconnected=`) as a notice.
 */

import { useState } from 'react';
import { Loading, ProblemMessage } from '../components/feedback';
import { Instant } from '../components/instant';
import { LoadMore } from '../components/load-more';
import { StatusText } from '../components/status-text';
import { TableScroll } from '../components/table-scroll';
import { type Connection, listConnections, platformNames } from '../connection-api';
import { oauthErrorText, plural } from '../dashboard-format';
import { href, routeQuery } from '../router';
import { useLoad } from '../use-load';
import { usePagedList } from '../use-paged-list';

interface Outcome {
  error?: string;
  connectedId?: string;
  disconnected?: string;
}

/** Reads the outcome once, then takes it out of the address so a reload does not say it again. */
function takeOutcome(): Outcome {
  const query = routeQuery();
  const outcome: Outcome = {
    error: query.get('error') ?? undefined,
    connectedId: query.get('connection_id') ?? query.get('connected') ?? undefined,
    disconnected: query.get('disconnected') ?? undefined,
  };
  if (outcome.error || outcome.connectedId || outcome.disconnected) {
    const hash = window.location.hash.split('?')[0] || href({ page: 'connections' });
    window.history.replaceState(window.history.state, '', `${window.location.pathname}${hash}`);
  }
  return outcome;
}

export function Connections() {
  const [outcome] = useState(takeOutcome);
  const list = usePagedList(async (cursor?: string) => {
    const page = await listConnections(cursor);
    return { items: page.connections, next: page.next_cursor };
  }, []);
  // Names are a nicety: while (or if) they do not load, the platform's id stands in.
  const names = useLoad(() => platformNames(), []).data;
  const nameOf = (id: string) => names?.get(id) ?? id;
  const connections: Connection[] = list.items;
  const arrived = outcome.connectedId ? connections.find((c) => c.connection_id === outcome.connectedId) : undefined;

  return (
    <main id="main">
      <h1 tabIndex={-1}>Connections</h1>
      {outcome.error ? (
        <div className="problem" role="alert">
          <strong>Connecting failed: </strong>
          {oauthErrorText(outcome.error)}.
        </div>
      ) : null}
      {outcome.connectedId ? (
        <p className="notice" role="status">
          {arrived ? (
            <>
              Connected {nameOf(arrived.platform)}
              {arrived.label ? ` (${arrived.label})` : ''}.{' '}
              <a href={href({ page: 'connection', platform: arrived.platform, connectionId: arrived.connection_id })}>
                Choose what to sync
              </a>
              .
            </>
          ) : (
            'New connection added.'
          )}
        </p>
      ) : null}
      {outcome.disconnected ? (
        <p className="notice" role="status">
          Disconnected {nameOf(outcome.disconnected)}. Its credentials were erased.
        </p>
      ) : null}
      {list.loading && connections.length === 0 ? <Loading what="your connections" /> : null}
      <ProblemMessage error={list.error} action="Loading connections" />
      {!list.loading && !list.error && connections.length === 0 ? (
        <p>
          No connections yet. Find a platform in the <a href={href({ page: 'marketplace' })}>Marketplace</a> and connect
          it.
        </p>
      ) : null}
      {connections.length > 0 ? (
        <TableScroll label="Connections table">
          <table style={{ minWidth: '34rem' }}>
            <caption className="muted" style={{ textAlign: 'left' }}>
              {plural(connections.length, 'connection')}
              {list.hasMore ? ' shown (more to load)' : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">Platform</th>
                <th scope="col">Label</th>
                <th scope="col">Health</th>
                <th scope="col">Last sync</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {connections.map((c) => (
                <tr
                  key={c.connection_id}
                  aria-current={c.connection_id === outcome.connectedId ? 'true' : undefined}
                  style={c.connection_id === outcome.connectedId ? { background: 'var(--panel)' } : undefined}
                >
                  <th scope="row">
                    <a href={href({ page: 'connection', platform: c.platform, connectionId: c.connection_id })}>
                      {nameOf(c.platform)}
                    </a>
                    {c.connection_id === outcome.connectedId ? <span className="muted"> (new)</span> : null}
                  </th>
                  <td>{c.label ?? <span className="muted">No label</span>}</td>
                  <td>
                    <StatusText status={c.health} />
                  </td>
                  <td>
                    <Instant at={c.last_sync_at} />
                  </td>
                  <td>
                    {c.status === 'needs_reauth' ? (
                      <span className="status status-bad">
                        <span aria-hidden="true">▲ </span>Needs signing in again
                      </span>
                    ) : (
                      <StatusText status={c.status} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      ) : null}
      <LoadMore list={list} label="Load more" />
    </main>
  );
}
