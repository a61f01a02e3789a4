/**
 * A connection's webhooks: where the platform delivers them, and the log of deliveries received (newest first) with
 * their processing status in words.
 */

import { listEvents, listWebhooks, type Target, type WebhookEvent } from '../connection-api';
import { useLoad } from '../use-load';
import { usePagedList } from '../use-paged-list';
import { Loading, ProblemMessage } from './feedback';
import { Instant } from './instant';
import { LoadMore } from './load-more';
import { StatusText } from './status-text';
import { TableScroll } from './table-scroll';

export function EventsLog({ target }: { target: Target }) {
  const webhooks = useLoad(() => listWebhooks(target), [target.platform, target.connectionId]);
  const deliveries = usePagedList(
    async (cursor?: string) => {
      const page = await listEvents(target, cursor);
      return { items: page.events, next: page.next_cursor };
    },
    [target.platform, target.connectionId],
  );
  const events: WebhookEvent[] = deliveries.items;
  const { loading, error } = deliveries;

  const registered = webhooks.data?.webhooks ?? [];
  return (
    <>
      <ProblemMessage error={webhooks.error} action="Loading the webhook registrations" />
      {webhooks.data ? (
        registered.length === 0 ? (
          <p>No webhook endpoint is registered for this connection, so the platform sends no deliveries.</p>
        ) : (
          <ul>
            {registered.map((w) => (
              <li key={w.webhook_id}>
                <span style={{ wordBreak: 'break-all' }}>{w.endpoint_url}</span> — events {w.events.join(', ')};{' '}
                {w.registered_at_platform ? 'registered at the platform' : 'set up by hand in the platform'}
                {w.registration_error ? (
                  <span className="field-error"> (registration failed: {w.registration_error})</span>
                ) : null}
              </li>
            ))}
          </ul>
        )
      ) : null}
      <h3>Deliveries received</h3>
      <button type="button" className="secondary" onClick={deliveries.reload}>
        Refresh deliveries
      </button>
      <ProblemMessage error={error} action="Loading webhook deliveries" />
      {loading && events.length === 0 ? <Loading what="webhook deliveries" /> : null}
      {!loading && !error && events.length === 0 ? <p>No webhook deliveries received yet.</p> : null}
      {events.length > 0 ? (
        <TableScroll label="Webhook deliveries table">
          <table style={{ minWidth: '40rem' }}>
            <caption className="muted" style={{ textAlign: 'left' }}>
              Webhook deliveries, newest first
            </caption>
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Event type</th>
                <th scope="col">Delivery ID</th>
                <th scope="col">Status</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.event_id}>
                  <th scope="row">
                    <Instant at={e.received_at} />
                  </th>
                  <td>{e.event_type}</td>
                  <td style={{ wordBreak: 'break-all' }}>{e.delivery_id}</td>
                  <td>
                    <StatusText status={e.processing_status} />
                  </td>
                  <td>{e.error ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      ) : null}
      <LoadMore list={deliveries} label="Load more deliveries" />
    </>
  );
}
