import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText, type EntityDetail, type Graph } from '../api';
import { ErrorAlert, Loading, Status, useTask } from '../components/messages';
import { Cut, memories } from '../format';
import type { GraphHandle } from '../graph-canvas';
import { memoryHref } from '../router';

const GRAPH_LIMIT = 100;
/** The newest memories an empty graph is first extracted from (the route's maximum). */
const EXTRACT_FROM = 50;

/** The canvas drawing; cytoscape is fetched on first use so the initial bundle stays small. */
function GraphCanvas({ graph, selected, onSelect }: { graph: Graph; selected: string | null; onSelect: (id: string) => void }) {
  const container = useRef<HTMLDivElement>(null);
  const handle = useRef<GraphHandle | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Latest props for the asynchronous draw and the canvas's tap handler.
  const latest = useRef({ selected, onSelect });
  latest.current = { selected, onSelect };

  useEffect(() => {
    let cancelled = false;
    import('../graph-canvas')
      .then(({ drawGraph }) => {
        if (cancelled || !container.current) return;
        handle.current = drawGraph(container.current, graph, (id) => latest.current.onSelect(id));
        handle.current.select(latest.current.selected);
      })
      .catch((err: unknown) => setError(errorText(err)));
    return () => {
      cancelled = true;
      handle.current?.destroy();
      handle.current = null;
    };
  }, [graph]);

  useEffect(() => handle.current?.select(selected), [selected]);

  return (
    <>
      <ErrorAlert error={error} />
      <div
        ref={container}
        class="graph"
        role="img"
        aria-label={`Entity graph: ${graph.entities.length} entities, ${graph.relationships.length} relationships`}
      />
    </>
  );
}

function Evidence({ name }: { name: string }) {
  const [detail, setDetail] = useState<EntityDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    api
      .entity(name)
      .then((d) => current && setDetail(d))
      .catch((err: unknown) => current && setError(errorText(err)));
    return () => {
      current = false;
    };
  }, [name]);

  return (
    <section class="card evidence" aria-labelledby="evidence-heading">
      <h2 id="evidence-heading">Evidence for {name}</h2>
      <ErrorAlert error={error} />
      {!detail && !error && <Loading what="evidence" />}
      {detail && (
        <>
          <h3>Relationships</h3>
          {detail.relationships.length === 0 ? (
            <p class="empty">No relationships</p>
          ) : (
            <ul>
              {detail.relationships.map((r, i) => (
                <li key={i}>
                  <strong>
                    {r.source} {r.predicate} {r.target}
                  </strong>
                  <blockquote>{r.evidence}</blockquote>
                </li>
              ))}
            </ul>
          )}
          <h3>Mentioned in</h3>
          <ul>
            {detail.memories.map((m) => (
              <li key={m.memory_id}>
                <a href={memoryHref(m.memory_id)}>
                  <Cut text={m.text} max={120} />
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** The user's entity graph: a drawing, a keyboard-operable list beside it, and the evidence of one entity. */
export function EntitiesView() {
  const task = useTask();
  const [graph, setGraph] = useState<Graph | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  /** The chosen entity's id (names may repeat across types). */
  const [selected, setSelected] = useState<string | null>(null);
  const chosen = graph?.entities.find((e) => e.id === selected);

  useEffect(() => {
    let current = true;
    setLoadError(null);
    api
      .graph(GRAPH_LIMIT)
      .then((g) => current && setGraph(g))
      .catch((err: unknown) => current && setLoadError(errorText(err)));
    return () => {
      current = false;
    };
  }, [reloads]);

  const extract = () =>
    task.run(async () => {
      const page = await api.list({ limit: EXTRACT_FROM, include_text: false });
      if (page.memories.length === 0) return 'No memories to extract from';
      await api.extract(page.memories.map((m) => m.memory_id));
      setReloads((n) => n + 1);
      return `Extracted from ${memories(page.memories.length)}`;
    });

  return (
    <section>
      <h1 tabIndex={-1}>Entities</h1>
      <ErrorAlert error={loadError} />
      <Status text={task.status} />
      <ErrorAlert error={task.error} />
      {!graph && !loadError && <Loading what="the entity graph" />}
      {graph && graph.entities.length === 0 && (
        <div class="card">
          <p class="empty">No entities yet</p>
          <button type="button" disabled={task.busy} onClick={() => void extract()}>
            Extract from recent memories
          </button>
        </div>
      )}
      {graph && graph.entities.length > 0 && (
        <>
          {graph.truncated && <p>The graph is larger: showing the {graph.entities.length} most mentioned entities and the relationships among them.</p>}
          <div class="graph-layout">
            <GraphCanvas graph={graph} selected={selected} onSelect={setSelected} />
            <ul class="entity-list" aria-label="Entities">
              {graph.entities.map((e) => (
                <li key={e.id}>
                  <button type="button" aria-pressed={selected === e.id} onClick={() => setSelected(e.id)}>
                    {e.name} ({e.type})
                  </button>
                </li>
              ))}
            </ul>
          </div>
          {chosen && <Evidence key={chosen.id} name={chosen.name} />}
        </>
      )}
    </section>
  );
}
