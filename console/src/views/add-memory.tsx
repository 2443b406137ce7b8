import { api } from '../api';
import { fromLocalInput, parseJsonObject } from '../format';

interface Props {
  busy: boolean;
  /** Runs the add as the view's task (its status or alert). */
  run: (task: () => Promise<string | null>) => Promise<void>;
  onAdded: () => void;
}

/** POST /index from a form; bad metadata JSON is refused before any request. */
export function AddMemoryForm({ busy, run, onAdded }: Props) {
  return (
    <section class="card" aria-labelledby="add-heading">
      <h2 id="add-heading">Add a memory</h2>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const data = new FormData(form);
          void run(async () => {
            const body: Record<string, unknown> = { text: String(data.get('text')) };
            const source = String(data.get('source')).trim();
            if (source) body.source = source;
            const metadata = parseJsonObject(String(data.get('metadata')), 'Metadata (JSON)');
            if (metadata) body.metadata = metadata;
            const expires = fromLocalInput(String(data.get('expires')));
            if (expires) body.expires_at = expires;
            const added = await api.add(body);
            form.reset();
            onAdded();
            return added.deduplicated ? 'Added (already there)' : 'Added';
          });
        }}
      >
        <label for="add-text">Text</label>
        <textarea id="add-text" name="text" rows={3} required />
        <div class="row">
          <div class="field">
            <label for="add-source">Source</label>
            <input id="add-source" name="source" placeholder="chat" autocomplete="off" />
          </div>
          <div class="field">
            <label for="add-expires">Expires at</label>
            <input id="add-expires" name="expires" type="datetime-local" />
          </div>
        </div>
        <label for="add-metadata">Metadata (JSON)</label>
        <textarea id="add-metadata" name="metadata" rows={2} placeholder='{"session_id": "s1"}' spellcheck={false} />
        <div>
          <button type="submit" disabled={busy}>
            Add memory
          </button>
        </div>
      </form>
    </section>
  );
}
