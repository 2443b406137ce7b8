import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { ErrorAlert, Status, useTask } from '../components/messages';
import { memories } from '../format';
import { importItems, parseExport } from '../import';

type Action = 'export' | 'import' | 'erase';

/** Failures listed in the alert; the rest are counted. */
const LISTED_FAILURES = 5;

function download(text: string, filename: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  // The download has taken the blob by then; the URL only holds memory.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The user's own data: export it, import an export file, or erase it all behind a typed confirmation. */
export function DataView({ user }: { user: string }) {
  const task = useTask();
  const [action, setAction] = useState<Action | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<{ value: number; max: number } | null>(null);
  const [expired, setExpired] = useState<number | null>(null);
  const [confirmation, setConfirmation] = useState('');

  const start = (which: Action, work: () => Promise<string | null>) => {
    setAction(which);
    void task.run(work);
  };
  const messages = (which: Action) =>
    action === which && (
      <>
        <Status text={task.status} />
        <ErrorAlert error={task.error} />
      </>
    );

  const exportAll = () =>
    start('export', async () => {
      const text = await api.exportAll();
      download(text, `engram-${user}.ndjson`);
      const count = text.split('\n').filter((line) => line.trim() !== '').length;
      return `Exported ${memories(count)}`;
    });

  const importFile = (chosen: File) =>
    start('import', async () => {
      setProgress(null);
      setExpired(null);
      const { items, expired: skipped } = parseExport(await chosen.text());
      setExpired(skipped);
      const total = items.length;
      setProgress({ value: 0, max: total });
      const result = await importItems(items, (p) => {
        setProgress({ value: p.done + p.failures.length, max: total });
        task.setStatus(`Imported ${p.done} of ${total}`);
      });
      if (result.failures.length > 0) {
        const more = result.failures.length > LISTED_FAILURES ? `; and ${result.failures.length - LISTED_FAILURES} more` : '';
        throw new ApiError('IMPORT_INCOMPLETE', `${result.failures.length} not imported: ${result.failures.slice(0, LISTED_FAILURES).join('; ')}${more}`);
      }
      return `Imported ${result.done} of ${total} (${result.deduplicated} already there)`;
    });

  const erase = () =>
    start('erase', async () => {
      const { memories_deleted } = await api.eraseAll(user);
      setConfirmation('');
      return `Erased ${memories(memories_deleted)}`;
    });

  return (
    <section>
      <h1 tabIndex={-1}>Your data</h1>

      <section class="card" aria-labelledby="export-heading">
        <h2 id="export-heading">Export</h2>
        <p>Every memory of {user}, decrypted, one JSON object per line.</p>
        <button type="button" disabled={task.busy} onClick={exportAll}>
          Export NDJSON
        </button>
        {messages('export')}
      </section>

      <section class="card" aria-labelledby="import-heading">
        <h2 id="import-heading">Import</h2>
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            if (file) importFile(file);
          }}
        >
          <label for="import-file">Import file (NDJSON)</label>
          <input
            id="import-file"
            type="file"
            accept=".ndjson,.jsonl,application/x-ndjson"
            onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
          />
          <div>
            <button type="submit" disabled={!file || task.busy}>
              Import
            </button>
          </div>
        </form>
        {progress && (
          <div class="progress">
            <label for="import-progress">Import progress</label>
            <progress id="import-progress" max={Math.max(progress.max, 1)} value={progress.value} />
          </div>
        )}
        {expired !== null && expired > 0 && <p>{expired} expired memories in the file were skipped.</p>}
        {messages('import')}
      </section>

      <section class="card danger-zone" aria-labelledby="erase-heading">
        <h2 id="erase-heading">Erase everything</h2>
        <p>
          Destroys the data key of <strong>{user}</strong> and deletes every memory. This cannot be undone.
        </p>
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            if (confirmation === user) erase();
          }}
        >
          <label for="erase-confirm">Type the user id to confirm</label>
          <input
            id="erase-confirm"
            autocomplete="off"
            spellcheck={false}
            value={confirmation}
            onInput={(e) => setConfirmation(e.currentTarget.value)}
          />
          <div>
            <button type="submit" class="danger" disabled={confirmation !== user || task.busy}>
              Erase all memories
            </button>
          </div>
        </form>
        {messages('erase')}
      </section>
    </section>
  );
}
