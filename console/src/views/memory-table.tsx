import type { MemorySummary } from '../api';
import { compactJson, Cut, cut, DateTime } from '../format';
import { memoryHref } from '../router';

interface Props {
  memories: MemorySummary[];
  selected: ReadonlySet<string>;
  onToggle: (id: string, on: boolean) => void;
  onToggleAll: (on: boolean) => void;
}

/** One page of memories; scrolls inside its own focusable region on narrow screens. */
export function MemoryTable({ memories, selected, onToggle, onToggleAll }: Props) {
  const allSelected = memories.length > 0 && memories.every((m) => selected.has(m.memory_id));
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="memories-caption">
      <table>
        <caption id="memories-caption">Memories, newest first</caption>
        <thead>
          <tr>
            <th scope="col">
              <input
                type="checkbox"
                aria-label="Select all on this page"
                checked={allSelected}
                onChange={(e) => onToggleAll(e.currentTarget.checked)}
              />
            </th>
            <th scope="col">Text</th>
            <th scope="col">Source</th>
            <th scope="col">Metadata</th>
            <th scope="col">Created</th>
            <th scope="col">Updated</th>
            <th scope="col">Expires</th>
          </tr>
        </thead>
        <tbody>
          {memories.map((m) => {
            const text = m.text ?? '';
            return (
              <tr key={m.memory_id}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Select ${cut(text, 60).head}`}
                    checked={selected.has(m.memory_id)}
                    onChange={(e) => onToggle(m.memory_id, e.currentTarget.checked)}
                  />
                </td>
                <td class="text-cell">
                  <a href={memoryHref(m.memory_id)}>
                    <Cut text={text} max={120} />
                  </a>
                </td>
                <td>{m.source ?? ''}</td>
                <td class="json-cell">{compactJson(m.metadata)}</td>
                <td class="date-cell">
                  <DateTime iso={m.created_at} />
                </td>
                <td class="date-cell">
                  <DateTime iso={m.updated_at} />
                </td>
                <td class="date-cell">
                  <DateTime iso={m.expires_at} empty="never" />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
