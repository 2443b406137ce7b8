import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, errorText, type Memory } from '../api';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ErrorAlert, Loading, Status, useTask } from '../components/messages';
import { DateTime, fromLocalInput, parseJsonObject, toLocalInput } from '../format';
import { navigate } from '../router';

/** The PATCH body: only what the form changed (`source: null` and `expires_at: null` clear). */
function changes(memory: Memory, data: FormData): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const text = String(data.get('text'));
  if (text !== memory.text) body.text = text;
  const source = String(data.get('source')).trim();
  if (source !== (memory.source ?? '')) body.source = source || null;
  const metadata = parseJsonObject(String(data.get('metadata')), 'Metadata (JSON)') ?? {};
  if (JSON.stringify(metadata) !== JSON.stringify(memory.metadata)) body.metadata = metadata;
  const expires = String(data.get('expires'));
  if (expires !== toLocalInput(memory.expires_at)) body.expires_at = fromLocalInput(expires) ?? null;
  return body;
}

function EditForm({ memory, busy, onSubmit }: { memory: Memory; busy: boolean; onSubmit: (data: FormData) => void }) {
  return (
    <section class="card" aria-labelledby="edit-heading">
      <h2 id="edit-heading">Edit</h2>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit(new FormData(e.currentTarget));
        }}
      >
        <label for="edit-text">Text</label>
        <textarea id="edit-text" name="text" rows={5} required defaultValue={memory.text} />
        <div class="row">
          <div class="field">
            <label for="edit-source">Source</label>
            <input id="edit-source" name="source" autocomplete="off" defaultValue={memory.source ?? ''} />
          </div>
          <div class="field">
            <label for="edit-expires">Expires at</label>
            <input id="edit-expires" name="expires" type="datetime-local" defaultValue={toLocalInput(memory.expires_at)} />
          </div>
        </div>
        <label for="edit-metadata">Metadata (JSON)</label>
        <textarea id="edit-metadata" name="metadata" rows={3} spellcheck={false} defaultValue={JSON.stringify(memory.metadata, null, 2)} />
        <div>
          <button type="submit" disabled={busy}>
            Save changes
          </button>
        </div>
      </form>
    </section>
  );
}

/** One memory: its fields, an edit form (PATCH) and delete. Another user's id or a deleted one is "not found". */
export function MemoryView({ id }: { id: string }) {
  const task = useTask();
  const [memory, setMemory] = useState<Memory | null>(null);
  const [loadError, setLoadError] = useState<{ text: string; notFound: boolean } | null>(null);
  const [confirming, setConfirming] = useState(false);

  useEffect(() => {
    let current = true;
    api
      .get(id)
      .then((m) => current && setMemory(m))
      .catch((err: unknown) => current && setLoadError({ text: errorText(err), notFound: err instanceof ApiError && err.status === 404 }));
    return () => {
      current = false;
    };
  }, [id]);

  const save = (data: FormData) =>
    task.run(async () => {
      if (!memory) return null;
      const body = changes(memory, data);
      if (Object.keys(body).length === 0) return 'No changes to save';
      setMemory(await api.update(id, body));
      return 'Saved';
    });

  const remove = () => {
    setConfirming(false);
    void task.run(async () => {
      await api.remove(id);
      navigate('#/memories', 'Deleted');
      return null;
    });
  };

  return (
    <section>
      <h1 tabIndex={-1}>{loadError?.notFound ? 'Memory not found' : 'Memory'}</h1>
      <ErrorAlert error={loadError?.text ?? null} />
      {!memory && !loadError && <Loading what="the memory" />}
      {memory && (
        <>
          <p class="memory-text">{memory.text}</p>
          <dl class="facts">
            <dt>Id</dt>
            <dd>
              <code>{memory.memory_id}</code>
            </dd>
            <dt>Source</dt>
            <dd>{memory.source ?? '—'}</dd>
            <dt>Metadata</dt>
            <dd>
              <code>{JSON.stringify(memory.metadata)}</code>
            </dd>
            <dt>Chunks</dt>
            <dd>{memory.chunk_ids.length}</dd>
            <dt>Created</dt>
            <dd>
              <DateTime iso={memory.created_at} />
            </dd>
            <dt>Updated</dt>
            <dd>
              <DateTime iso={memory.updated_at} />
            </dd>
            <dt>Expires</dt>
            <dd>
              <DateTime iso={memory.expires_at} empty="never" />
            </dd>
          </dl>
          <Status text={task.status} />
          <ErrorAlert error={task.error} />
          <EditForm key={memory.updated_at} memory={memory} busy={task.busy} onSubmit={(data) => void save(data)} />
          <button type="button" class="danger" disabled={task.busy} onClick={() => setConfirming(true)}>
            Delete memory
          </button>
        </>
      )}
      {confirming && <ConfirmDialog title="Delete this memory?" confirmLabel="Delete" onConfirm={remove} onCancel={() => setConfirming(false)} />}
    </section>
  );
}
