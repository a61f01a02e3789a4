/** Loading and error states, announced to screen readers. */
import { describeProblem } from '../api/client';

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function ProblemMessage({ error, action }: { error: unknown; action?: string }) {
  if (!error) return null;
  return (
    <div className="problem" role="alert">
      {action ? <strong>{action} failed: </strong> : null}
      {describeProblem(error)}
    </div>
  );
}
