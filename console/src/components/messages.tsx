import { useState } from 'preact/hooks';
import { errorText } from '../api';

/** An API error as `CODE: detail`, announced at once. */
export const ErrorAlert = ({ error }: { error: string | null }) =>
  error ? (
    <p role="alert" class="alert">
      {error}
    </p>
  ) : null;

/** A success or progress message, announced politely. */
export const Status = ({ text }: { text: string | null }) =>
  text ? (
    <p role="status" class="status">
      {text}
    </p>
  ) : null;

export const Loading = ({ what }: { what: string }) => (
  <p role="status" class="status">
    Loading {what}…
  </p>
);

/**
 * One user action at a time: `run` clears the previous messages, marks the task busy and shows its
 * result — the message it returns as status, or what it threw as an alert. `initialStatus` is read once.
 */
export function useTask(initialStatus?: () => string | null) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(initialStatus ?? null);
  const run = async (task: () => Promise<string | null>) => {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      setStatus(await task());
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, status, setError, setStatus, run };
}
