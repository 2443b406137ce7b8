import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP reranker on 127.0.0.1 (port 0) speaking the Cohere/Jina and TEI `/rerank` shapes,
 * switchable at run time between behaviours:
 * - `ok`: one score per document (how many query words it contains), results sorted best first;
 * - `failing`: HTTP 500 (echoing the query, as some servers do);
 * - `hanging`: never answers (until the client goes away or the stub closes);
 * - `malformed`: HTTP 200 with a body that is not the rerank shape.
 */
export type RerankStubMode = 'ok' | 'failing' | 'hanging' | 'malformed';

export interface RerankStubRequest {
  path: string | undefined;
  authorization: string | undefined;
  body: Record<string, unknown>;
  /** Set when the client closed the connection before the stub answered (it honoured its AbortSignal). */
  aborted: boolean;
}

export interface RerankStub {
  /** `http://127.0.0.1:<port>/rerank` */
  url: string;
  mode: RerankStubMode;
  requests: RerankStubRequest[];
  close(): Promise<void>;
}

/** Score of a document for a query: the number of the query's words it contains. */
export function stubScore(query: string, document: string): number {
  const words = new Set(document.toLowerCase().match(/\w+/g) ?? []);
  return (query.toLowerCase().match(/\w+/g) ?? []).filter((w) => words.has(w)).length;
}

export async function startRerankStub(mode: RerankStubMode = 'ok'): Promise<RerankStub> {
  const hanging = new Set<ServerResponse>();
  const stub: RerankStub = { url: '', mode, requests: [], close: async () => {} };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        res.writeHead(400).end('{"error":"invalid json"}');
        return;
      }
      const seen: RerankStubRequest = { path: req.url, authorization: req.headers.authorization, body, aborted: false };
      stub.requests.push(seen);
      res.on('close', () => {
        if (!res.writableFinished) seen.aborted = true;
        hanging.delete(res);
      });
      const query = typeof body.query === 'string' ? body.query : '';
      const documents = (Array.isArray(body.documents) ? body.documents : Array.isArray(body.texts) ? body.texts : []) as string[];
      switch (stub.mode) {
        case 'failing':
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `cannot rerank for ${query}` }));
          return;
        case 'hanging':
          hanging.add(res);
          return;
        case 'malformed':
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [{ idx: 0, relevance: 'high' }] }));
          return;
        case 'ok': {
          const ranked = documents.map((d, index) => ({ index, score: stubScore(query, d) })).sort((a, b) => b.score - a.score);
          const out = Array.isArray(body.texts)
            ? ranked // TEI: [{index, score}]
            : { id: 'stub', results: ranked.map((r) => ({ index: r.index, relevance_score: r.score })), meta: {} };
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  stub.url = `http://127.0.0.1:${port}/rerank`;
  stub.close = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return stub;
}
