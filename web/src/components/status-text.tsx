/**
 * Health and sync status as words (with a shape beside them): colour is never the only signal.
 */
const WORDS: Record<string, { label: string; tone: 'good' | 'bad' | 'busy' | 'idle' }> = {
  healthy: { label: 'Healthy', tone: 'good' },
  failing: { label: 'Failing', tone: 'bad' },
  unhealthy: { label: 'Failing', tone: 'bad' },
  unknown: { label: 'Not checked yet', tone: 'idle' },
  succeeded: { label: 'Succeeded', tone: 'good' },
  failed: { label: 'Failed', tone: 'bad' },
  running: { label: 'Syncing', tone: 'busy' },
  queued: { label: 'Queued', tone: 'busy' },
  idle: { label: 'Never run', tone: 'idle' },
  processed: { label: 'Processed', tone: 'good' },
  pending: { label: 'Pending', tone: 'busy' },
  processing: { label: 'Processing', tone: 'busy' },
  open: { label: 'Open', tone: 'bad' },
  acknowledged: { label: 'Acknowledged', tone: 'idle' },
  resolved: { label: 'Resolved', tone: 'good' },
  active: { label: 'Active', tone: 'good' },
  disconnected: { label: 'Disconnected', tone: 'idle' },
};

const MARKS = { good: '●', bad: '▲', busy: '◌', idle: '○' } as const;

export function StatusText({ status }: { status: string }) {
  const word = WORDS[status] ?? { label: status, tone: 'idle' as const };
  return (
    <span className={`status status-${word.tone}`}>
      <span aria-hidden="true">{MARKS[word.tone]} </span>
      {word.label}
    </span>
  );
}
