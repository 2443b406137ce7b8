import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type StubMode = 'cite' | 'fail' | 'hang' | 'junk';

export interface StubRequest {
  headers: IncomingMessage['headers'];
  body: { model: string; messages: { role: string; content: string }[] };
}

/**
 * An OpenAI-compatible chat-completions endpoint on 127.0.0.1 for tests:
 * - `cite`: answers JSON sentences citing the first two memories of the data block (and one unknown
 *   ref, and one sentence citing nothing);
 * - `fail`: HTTP 500; `hang`: never answers (records when the client gives up);
 * - `junk`: 200 with prose instead of the JSON asked for.
 */
export async function startLlmStub() {
  const requests: StubRequest[] = [];
  let aborted = 0;
  let mode: StubMode = 'cite';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as StubRequest['body'];
      requests.push({ headers: req.headers, body });
      if (mode === 'hang') {
        res.on('close', () => aborted++);
        return;
      }
      if (mode === 'fail') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"boom"}}');
        return;
      }
      const content =
        mode === 'junk'
          ? 'Sure! Here is a lovely summary of everything.'
          : JSON.stringify({
              sentences: [
                { text: 'Caroline found courage at a support group.', refs: ['m1', 'm999'] },
                { text: 'Melanie paints a lake sunrise to relax.', refs: ['m2'] },
                { text: 'The kids loved swimming at the lake.', refs: [] },
              ],
            });
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: 'stub', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content } }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get aborted() {
      return aborted;
    },
    setMode(next: StubMode) {
      mode = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
