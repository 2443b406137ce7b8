import cytoscape from 'cytoscape';
import type { Graph } from './api';

/**
 * The entity graph on a canvas (its own chunk: cytoscape loads only when the entities view opens).
 * Cytoscape injects a `<style>` element unless one with this id exists; the console's CSP forbids
 * inline styles, so an inert placeholder takes the id and main.css gives the container what that
 * style would have (`position: relative`).
 */
const CYTOSCAPE_STYLESHEET_ID = '__________cytoscape_stylesheet';

export interface GraphHandle {
  select(id: string | null): void;
  destroy(): void;
}

function claimStylesheetId() {
  if (document.getElementById(CYTOSCAPE_STYLESHEET_ID)) return;
  const placeholder = document.createElement('meta');
  placeholder.id = CYTOSCAPE_STYLESHEET_ID;
  document.head.append(placeholder);
}

/** Draws the graph; `onSelect` gets the id of a node tapped. */
export function drawGraph(container: HTMLElement, graph: Graph, onSelect: (id: string) => void): GraphHandle {
  claimStylesheetId();
  const ids = new Set(graph.entities.map((e) => e.id));
  // One edge per (source, predicate, target), however many memories state it: thicker when stated more.
  const edges = new Map<string, { source: string; target: string; predicate: string; count: number }>();
  for (const r of graph.relationships) {
    if (!ids.has(r.source_id) || !ids.has(r.target_id)) continue;
    const key = JSON.stringify([r.source_id, r.predicate, r.target_id]);
    const edge = edges.get(key) ?? { source: r.source_id, target: r.target_id, predicate: r.predicate, count: 0 };
    edge.count++;
    edges.set(key, edge);
  }
  const cy = cytoscape({
    container,
    elements: [
      ...graph.entities.map((e) => ({ data: { id: e.id, label: e.name, mentions: e.mentions } })),
      ...[...edges.values()].map((e, i) => ({
        data: { id: `e${i}`, source: e.source, target: e.target, count: e.count, label: e.count > 1 ? `${e.predicate} ×${e.count}` : e.predicate },
      })),
    ],
    layout: { name: 'cose', animate: false, padding: 24 },
    minZoom: 0.2,
    maxZoom: 3,
    boxSelectionEnabled: false,
    style: [
      {
        selector: 'node',
        style: {
          label: 'data(label)',
          'background-color': '#dbe7f6',
          'border-width': 2,
          'border-color': '#1d4f91',
          color: '#111827',
          'font-family': 'system-ui, sans-serif',
          'font-size': 12,
          'text-valign': 'bottom',
          'text-margin-y': 4,
          'text-background-color': '#ffffff',
          'text-background-opacity': 0.85,
          width: 'mapData(mentions, 1, 20, 18, 44)',
          height: 'mapData(mentions, 1, 20, 18, 44)',
        },
      },
      {
        selector: 'edge',
        style: {
          label: 'data(label)',
          'font-size': 10,
          color: '#374151',
          'line-color': '#6b7280',
          'target-arrow-color': '#6b7280',
          'target-arrow-shape': 'triangle',
          'curve-style': 'bezier',
          'text-rotation': 'autorotate',
          'text-background-color': '#ffffff',
          'text-background-opacity': 0.85,
          width: 'mapData(count, 1, 10, 1.5, 5)',
        },
      },
      { selector: 'node:selected', style: { 'background-color': '#1d4f91', 'border-color': '#0b2545', 'border-width': 4 } },
    ],
  });
  cy.on('tap', 'node', (event) => onSelect(String(event.target.id())));
  return {
    select(id) {
      cy.$(':selected').unselect();
      if (id && ids.has(id)) cy.getElementById(id).select();
    },
    destroy: () => cy.destroy(),
  };
}
