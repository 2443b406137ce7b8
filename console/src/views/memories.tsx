import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, errorText, type MemoryPage } from '../api';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ErrorAlert, Loading, Status, useTask } from '../components/messages';
import { memories, parseJsonObject } from '../format';
import { takeNotice } from '../router';
import { AddMemoryForm } from './add-memory';
import { MemoryTable } from './memory-table';

const PAGE_SIZE = 50;
/** The list shows 120 characters; asking for a little more keeps pages light with any memory size. */
const LIST_TEXT_CHARS = 200;

interface Filters {
  source?: string;
  metadata?: string;
}

/** Pages through the user's memories by cursor (never all of them), with add, filters and batch delete. */
export function MemoriesView() {
  const task = useTask(takeNotice);
  const [filters, setFilters] = useState<Filters>({});
  /** The cursor of each page seen so far; the last is the current page (undefined: the first). */
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [reloads, setReloads] = useState(0);
  const [page, setPage] = useState<MemoryPage | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    let current = true;
    setPage(null);
    setLoadError(null);
    api
      .list({ limit: PAGE_SIZE, max_text_chars: LIST_TEXT_CHARS, cursor, ...filters })
      .then((next) => {
        if (!current) return;
        // A page emptied by deletes: step back to the one before it.
        if (next.memories.length === 0 && cursors.length > 1) setCursors(cursors.slice(0, -1));
        else setPage(next);
      })
      .catch((err: unknown) => current && setLoadError(errorText(err)));
    return () => {
      current = false;
    };
  }, [cursors, filters, reloads]);

  const firstPage = () => {
    setSelected(new Set());
    setCursors([undefined]);
  };

  const deleteSelected = () => {
    const ids = [...selected];
    setConfirming(false);
    void task.run(async () => {
      let done = 0;
      try {
        for (const id of ids) {
          await api.remove(id);
          done++;
        }
      } catch (err) {
        if (!(err instanceof ApiError) || done === 0) throw err;
        throw new ApiError(err.code, `${err.detail} (${done} of ${ids.length} deleted before it)`, err.status);
      } finally {
        setSelected(new Set());
        setReloads((n) => n + 1);
      }
      return `Deleted ${memories(done)}`;
    });
  };

  const toggle = (id: string, on: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  const filtered = filters.source !== undefined || filters.metadata !== undefined;

  return (
    <section>
      <h1 tabIndex={-1}>Memories</h1>
      <Status text={task.status} />
      <ErrorAlert error={task.error} />
      <AddMemoryForm busy={task.busy} run={task.run} onAdded={firstPage} />

      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          const source = String(data.get('source')).trim();
          try {
            const metadata = parseJsonObject(String(data.get('metadata')), 'Filter by metadata (JSON)');
            task.setError(null);
            setFilters({ source: source || undefined, metadata: metadata && JSON.stringify(metadata) });
            firstPage();
          } catch (err) {
            task.setError(errorText(err));
          }
        }}
      >
        <div class="field">
          <label for="filter-source">Filter by source</label>
          <input id="filter-source" name="source" autocomplete="off" />
        </div>
        <div class="field">
          <label for="filter-metadata">Filter by metadata (JSON)</label>
          <input id="filter-metadata" name="metadata" autocomplete="off" spellcheck={false} placeholder='{"session_id": "s1"}' />
        </div>
        <button type="submit">Apply filters</button>
      </form>

      <div class="toolbar">
        <button type="button" class="danger" disabled={selected.size === 0 || task.busy} onClick={() => setConfirming(true)}>
          Delete selected
        </button>
        <span>{selected.size > 0 && `${selected.size} selected`}</span>
      </div>

      <ErrorAlert error={loadError} />
      {!page && !loadError && <Loading what="memories" />}
      {page && page.memories.length === 0 && <p class="empty">{filtered ? 'No memories match these filters' : 'No memories yet'}</p>}
      {page && page.memories.length > 0 && (
        <MemoryTable
          memories={page.memories}
          selected={selected}
          onToggle={toggle}
          onToggleAll={(on) => {
            for (const m of page.memories) toggle(m.memory_id, on);
          }}
        />
      )}

      <div class="pager">
        <button type="button" disabled={cursors.length === 1 || !page} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <span>Page {cursors.length}</span>
        <button
          type="button"
          disabled={!page?.next_cursor}
          onClick={() => page?.next_cursor && setCursors([...cursors, page.next_cursor])}
        >
          Next page
        </button>
      </div>

      {confirming && (
        <ConfirmDialog
          title={`Delete ${memories(selected.size)}?`}
          confirmLabel="Delete"
          onConfirm={deleteSelected}
          onCancel={() => setConfirming(false)}
        />
      )}
    </section>
  );
}
