/** An instant as `2025-05-14 09:03` (the browser's time zone), kept on one line; `never` (or `empty`) for none. */
import { formatInstant } from '../dashboard-format';

export function Instant({ at, empty = 'Never' }: { at: string | null | undefined; empty?: string }) {
  if (!at) return <>{empty}</>;
  return (
    <time dateTime={at} style={{ whiteSpace: 'nowrap' }}>
      {formatInstant(at)}
    </time>
  );
}
