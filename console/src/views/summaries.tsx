import { useState } from 'preact/hooks';
import { api, type Summary, type SummaryStyle } from '../api';
import { ErrorAlert, Loading, Status, useTask } from '../components/messages';
import { DateTime } from '../format';
import { memoryHref } from '../router';

const STYLES: SummaryStyle[] = ['bullets', 'paragraph', 'tldr', 'timeline'];
/** Without a query the summary covers the newest memories, as many as the route takes. */
const NEWEST = 100;

type Sentence = Summary['sources'][number];

function Sentence({ source, n }: { source: Sentence; n: number }) {
  return (
    <>
      {source.sentence}{' '}
      {source.memory_ids.map((id, i) => (
        <a key={id} class="cite" href={memoryHref(id)} aria-label={`Source ${i + 1} of sentence ${n}`}>
          [{i + 1}]
        </a>
      ))}
    </>
  );
}

function SummaryText({ summary }: { summary: Summary }) {
  const items = summary.sources;
  if (summary.style === 'bullets' || summary.style === 'timeline') {
    const List = summary.style === 'bullets' ? 'ul' : 'ol';
    return (
      <List class="summary">
        {items.map((s, i) => (
          <li key={i}>
            {summary.style === 'timeline' && (
              <>
                <DateTime iso={s.created_at} />:{' '}
              </>
            )}
            <Sentence source={s} n={i + 1} />
          </li>
        ))}
      </List>
    );
  }
  return (
    <p class="summary">
      {items.map((s, i) => (
        <span key={i}>
          <Sentence source={s} n={i + 1} />{' '}
        </span>
      ))}
    </p>
  );
}

/** A summary in one of the four styles, every sentence linked to the memories it came from. */
export function SummariesView() {
  const task = useTask();
  const [summary, setSummary] = useState<Summary | null>(null);

  const summarize = (style: SummaryStyle, query: string) =>
    task.run(async () => {
      setSummary(null);
      if (query) {
        setSummary(await api.summarize({ style, query }));
        return null;
      }
      const page = await api.list({ limit: NEWEST, include_text: false });
      if (page.memories.length === 0) return 'No memories yet';
      setSummary(await api.summarize({ style, memory_ids: page.memories.map((m) => m.memory_id) }));
      return null;
    });

  return (
    <section>
      <h1 tabIndex={-1}>Summaries</h1>
      <form
        class="card filters"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          void summarize(String(data.get('style')) as SummaryStyle, String(data.get('query')).trim());
        }}
      >
        <div class="field">
          <label for="summary-style">Style</label>
          <select id="summary-style" name="style">
            {STYLES.map((style) => (
              <option key={style} value={style}>
                {style}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="summary-query">Query</label>
          <input id="summary-query" name="query" type="search" maxLength={2000} autocomplete="off" placeholder="empty: the newest memories" />
        </div>
        <button type="submit" disabled={task.busy}>
          Summarize
        </button>
      </form>
      <ErrorAlert error={task.error} />
      <Status text={task.status} />
      {task.busy && <Loading what="the summary" />}
      {summary && (
        <section class="card" aria-labelledby="summary-heading">
          <h2 id="summary-heading">Summary ({summary.style})</h2>
          {summary.sources.length === 0 ? <p class="empty">Nothing to summarize</p> : <SummaryText summary={summary} />}
          <p class="meta">
            {summary.method === 'llm' ? 'Written by the language model' : 'Extracted sentences'}
            {summary.fallback_reason && ` (fallback: ${summary.fallback_reason})`} · from {summary.memory_count} memories
            {summary.truncated && ' · cut to fit'}
          </p>
        </section>
      )}
    </section>
  );
}
