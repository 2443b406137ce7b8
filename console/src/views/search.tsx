import { useState } from 'preact/hooks';
import { api, type QueryHit, type QueryResult, type ScoreParts } from '../api';
import { ErrorAlert, Loading, useTask } from '../components/messages';
import { fromLocalInput, parseJsonObject } from '../format';
import { memoryHref } from '../router';

const PARTS: Array<keyof ScoreParts> = ['vector', 'keyword', 'fused', 'context', 'rerank'];

const num = (value: number | null) => (value === null ? '—' : value.toFixed(4));

/** The POST /query body from the form; bad filter JSON throws before any request. */
function queryBody(data: FormData): Record<string, unknown> {
  const field = (name: string) => String(data.get(name) ?? '').trim();
  const body: Record<string, unknown> = { query: field('query'), k: Number(field('k') || 10) };
  if (field('min_score')) body.min_score = Number(field('min_score'));
  if (field('min_relevance')) body.min_relevance = Number(field('min_relevance'));
  // Unchecked skips the reranker; checked leaves it to the server (which may have none).
  if (data.get('rerank') === null) body.rerank = false;
  const filters: Record<string, unknown> = {};
  if (field('source')) filters.source = field('source');
  const metadata = parseJsonObject(field('metadata'), 'Metadata filter (JSON)');
  if (metadata) filters.metadata = metadata;
  const after = fromLocalInput(field('created_after'));
  if (after) filters.created_after = after;
  const before = fromLocalInput(field('created_before'));
  if (before) filters.created_before = before;
  if (Object.keys(filters).length > 0) body.filters = filters;
  return body;
}

function Hit({ hit, n }: { hit: QueryHit; n: number }) {
  return (
    <article class="card hit" aria-label={`Result ${n}`}>
      <p class="memory-text">{hit.text}</p>
      <p class="scores">
        score <strong>{num(hit.score)}</strong> · relevance <strong>{num(hit.relevance)}</strong>
        {hit.source && ` · source ${hit.source}`}
      </p>
      <table class="parts">
        <caption>Score parts</caption>
        <tbody>
          {PARTS.map((part) => (
            <tr key={part}>
              <th scope="row">{part}</th>
              <td>{num(hit.scores[part])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="links">
        <a href={memoryHref(hit.memory_id)}>Open memory</a>
        {hit.context_from && <a href={memoryHref(hit.context_from.memory_id)}>Neighbour</a>}
      </p>
    </article>
  );
}

/** The search playground: every option of POST /query, and why each hit ranked where it did. */
export function SearchView() {
  const task = useTask();
  const [result, setResult] = useState<QueryResult | null>(null);
  const text = (name: string, label: string) => (
    <div class="field">
      <label for={`search-${name}`}>{label}</label>
      <input id={`search-${name}`} name={name} autocomplete="off" />
    </div>
  );
  const instant = (name: string, label: string) => (
    <div class="field">
      <label for={`search-${name}`}>{label}</label>
      <input id={`search-${name}`} name={name} type="datetime-local" />
    </div>
  );
  const number = (name: string, label: string, attrs: { min: number; max: number; step: string; value?: number }) => (
    <div class="field">
      <label for={`search-${name}`}>{label}</label>
      <input id={`search-${name}`} name={name} type="number" min={attrs.min} max={attrs.max} step={attrs.step} defaultValue={attrs.value?.toString()} />
    </div>
  );

  return (
    <section>
      <h1 tabIndex={-1}>Search</h1>
      <form
        class="card stack"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          setResult(null);
          void task.run(async () => {
            setResult(await api.query(queryBody(data)));
            return null;
          });
        }}
      >
        <label for="search-query">Query</label>
        <input id="search-query" name="query" type="search" required maxLength={2000} autocomplete="off" />
        <div class="row">
          {number('k', 'Results (k)', { min: 1, max: 100, step: '1', value: 10 })}
          {number('min_score', 'Minimum score', { min: -1, max: 1, step: 'any' })}
          {number('min_relevance', 'Minimum relevance', { min: 0, max: 1, step: 'any' })}
        </div>
        <div class="check">
          <input id="search-rerank" name="rerank" type="checkbox" defaultChecked />
          <label for="search-rerank">Rerank</label>
        </div>
        <div class="row">
          {text('source', 'Source filter')}
          {text('metadata', 'Metadata filter (JSON)')}
        </div>
        <div class="row">
          {instant('created_after', 'Created after')}
          {instant('created_before', 'Created before')}
        </div>
        <div>
          <button type="submit" disabled={task.busy}>
            Search
          </button>
        </div>
      </form>
      <ErrorAlert error={task.error} />
      {task.busy && <Loading what="results" />}
      {result && (
        <section aria-labelledby="results-heading">
          <h2 id="results-heading">Results</h2>
          <p>Reranker: {result.reranked ? 'ran' : 'skipped'}</p>
          {result.results.length === 0 ? (
            <p class="empty">No results</p>
          ) : (
            result.results.map((hit, i) => <Hit key={hit.chunk_id} hit={hit} n={i + 1} />)
          )}
        </section>
      )}
    </section>
  );
}
