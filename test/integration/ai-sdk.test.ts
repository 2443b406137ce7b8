import type { AddressInfo } from 'node:net';
import { EngramClient } from '@engram/client';
import { generateText, simulateReadableStream, stepCountIs, streamText } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engramTools } from '../../clients/ai-sdk/src/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

type CallOptions = Parameters<MockLanguageModelV3['doGenerate']>[0];

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

/** A model turn that calls one tool. */
const toolCall = (toolName: string, input: unknown) => ({
  content: [{ type: 'tool-call' as const, toolCallId: `call-${toolName}-${Math.random()}`, toolName, input: JSON.stringify(input) }],
  finishReason: { unified: 'tool-calls' as const, raw: undefined },
  usage,
  warnings: [],
});
const text = (value: string) => ({
  content: [{ type: 'text' as const, text: value }],
  finishReason: { unified: 'stop' as const, raw: undefined },
  usage,
  warnings: [],
});

interface SeenOutput {
  memoryId: string;
  memories: { memoryId: string; text: string }[];
}

/** What the model was shown as the result of the last tool call (the SDK sends tool results back as JSON). */
function lastToolOutput(options: CallOptions): SeenOutput {
  const message = options.prompt.filter((m) => m.role === 'tool').at(-1);
  const part = message?.content.at(-1);
  if (part?.type !== 'tool-result' || part.output.type !== 'json') throw new Error('no JSON tool result in the prompt');
  return part.output.value as unknown as SeenOutput;
}

/** The AI SDK memory tools (real `ai` package, its mock language model) against the real service. */
describe(`AI SDK memory tools (${backend()})`, () => {
  let t: TestApp;
  let baseUrl: string;
  const client = async (user: string) => new EngramClient({ baseUrl, token: await t.token(user), userId: user });

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  it('generateText: the model remembers, recalls and forgets through the tools, and Engram holds what they say', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    await alice.add('Alice cycles to work every day.');
    const seenInEngram: unknown[] = [];
    let step = 0;
    const model = new MockLanguageModelV3({
      doGenerate: async (options) => {
        switch (step++) {
          case 0:
            // A model trying to write for another user: the tools take no user id (the field is dropped).
            return toolCall('remember', { text: 'The user is allergic to hazelnuts.', ttlSeconds: 3600, metadata: { topic: 'health' }, userId: 'bob', user_id: 'bob' });
          case 1: {
            const { memoryId } = lastToolOutput(options);
            seenInEngram.push(await alice.get(memoryId));
            return toolCall('recall', { query: 'what foods is the user allergic to?', k: 1 });
          }
          case 2:
            return toolCall('forget', { memoryId: lastToolOutput(options).memories[0]!.memoryId });
          default:
            return text('Done: noted, checked and forgotten.');
        }
      },
    });

    const result = await generateText({ model, tools: engramTools({ client: alice }), stopWhen: stepCountIs(6), prompt: 'Remember my allergy.' });

    expect(result.text).toBe('Done: noted, checked and forgotten.');
    expect(result.steps.map((s) => s.toolResults.map((r) => r.toolName))).toEqual([['remember'], ['recall'], ['forget'], []]);
    const remembered = result.steps[0]!.toolResults[0]!.output as { ok: true; memoryId: string };
    expect(remembered).toEqual({ ok: true, memoryId: expect.stringMatching(/^[0-9a-f-]{36}$/), deduplicated: false });
    const id = remembered.memoryId;
    expect(seenInEngram).toEqual([
      expect.objectContaining({ memoryId: id, text: 'The user is allergic to hazelnuts.', metadata: { topic: 'health' }, expiresAt: expect.any(String) }),
    ]);
    const recalled = result.steps[1]!.toolResults[0]!.output as { ok: true; memories: { memoryId: string }[] };
    expect(recalled.ok).toBe(true);
    expect(recalled.memories).toHaveLength(1); // k: 1 of alice's two memories
    expect(recalled.memories[0]).toEqual({
      memoryId: id,
      text: 'The user is allergic to hazelnuts.',
      score: expect.any(Number),
      relevance: expect.any(Number),
      createdAt: expect.any(String),
    });
    expect(result.steps[2]!.toolResults[0]!.output).toEqual({ ok: true, memoryId: id });

    expect(await alice.get(id).catch((e: unknown) => e)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((await alice.getAll()).map((m) => m.text)).toEqual(['Alice cycles to work every day.']);
    expect(await bob.getAll()).toEqual([]);
    // What the model was offered: no user id anywhere in the tools' inputs.
    const offered = model.doGenerateCalls[0]!.tools!.map((tool) => [tool.name, Object.keys((tool as { inputSchema: { properties: object } }).inputSchema.properties)]);
    expect(offered).toEqual([
      ['remember', ['text', 'ttlSeconds', 'metadata']],
      ['recall', ['query', 'k']],
      ['forget', ['memoryId']],
    ]);
  });

  it('streamText: a streaming model calls recall and reads what Engram found', async () => {
    const carl = await client('carl');
    const mia = (await carl.add("Carl's daughter is called Mia and she plays the trumpet.")).memoryId;
    await carl.add('Carl works as a nurse in Leeds.');
    const finish = (unified: 'tool-calls' | 'stop') => ({ type: 'finish' as const, finishReason: { unified, raw: undefined }, usage });
    let call = 0;
    const model = new MockLanguageModelV3({
      doStream: async (options) => {
        if (call++ === 0) {
          return {
            stream: simulateReadableStream({
              chunks: [
                { type: 'tool-call' as const, toolCallId: 'call-1', toolName: 'recall', input: JSON.stringify({ query: "what is the daughter's name?" }) },
                finish('tool-calls'),
              ],
            }),
          };
        }
        const name = lastToolOutput(options).memories[0]!.text.includes('Mia') ? 'Mia' : 'unknown';
        return {
          stream: simulateReadableStream({
            chunks: [
              { type: 'text-start' as const, id: 't' },
              { type: 'text-delta' as const, id: 't', delta: 'Her name is ' },
              { type: 'text-delta' as const, id: 't', delta: `${name}.` },
              { type: 'text-end' as const, id: 't' },
              finish('stop'),
            ],
          }),
        };
      },
    });

    const result = streamText({ model, tools: engramTools({ client: carl, defaultK: 1 }), stopWhen: stepCountIs(3), prompt: "What's my daughter's name?" });
    let streamed = '';
    for await (const delta of result.textStream) streamed += delta;

    expect(streamed).toBe('Her name is Mia.');
    const steps = await result.steps;
    expect(steps).toHaveLength(2);
    expect(steps[0]!.toolResults[0]).toMatchObject({
      toolName: 'recall',
      output: { ok: true, memories: [{ memoryId: mia, text: "Carl's daughter is called Mia and she plays the trumpet." }] },
    });
    expect(model.doStreamCalls).toHaveLength(2);
  });

  it("forget of another user's memory id is a not-found result (the run goes on) and that memory stays", async () => {
    const alice = await client('alice2');
    const bob = await client('bob2');
    const bobs = (await bob.add('Bob2 hides the spare key under the blue flowerpot.')).memoryId;
    let step = 0;
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        switch (step++) {
          case 0:
            return toolCall('forget', { memoryId: bobs });
          case 1:
            return toolCall('recall', { query: 'where is the spare key hidden?' });
          case 2:
            return toolCall('forget', { memoryId: 'not-a-memory-id' });
          case 3:
            return toolCall('remember', { text: '   ' });
          default:
            return text('I could not do that.');
        }
      },
    });

    const result = await generateText({ model, tools: engramTools({ client: alice }), stopWhen: stepCountIs(6), prompt: 'Forget that.' });

    expect(result.text).toBe('I could not do that.');
    const outputs = result.steps.flatMap((s) => s.toolResults.map((r) => r.output));
    expect(outputs).toEqual([
      { ok: false, error: 'NOT_FOUND', message: expect.stringMatching(/no such memory/i) },
      { ok: true, memories: [] },
      { ok: false, error: 'VALIDATION_FAILED', message: expect.any(String) },
      { ok: false, error: 'VALIDATION_FAILED', message: expect.stringMatching(/blank/) },
    ]);
    expect(result.steps.flatMap((s) => s.content.filter((p) => p.type === 'tool-error'))).toEqual([]);
    expect((await bob.get(bobs)).text).toBe('Bob2 hides the spare key under the blue flowerpot.');
  });

  it("the application's options: source, fixed metadata and recall filters the model cannot change", async () => {
    const dora = await client('dora');
    await dora.add('Dora is training for a marathon in Berlin.'); // not written by the agent: no source
    let step = 0;
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        switch (step++) {
          case 0:
            return toolCall('remember', { text: 'Dora runs 40 km a week before the Berlin marathon.', metadata: { app: 'other', topic: 'sport' } });
          case 1:
            return toolCall('recall', { query: 'marathon in Berlin', k: 5 });
          default:
            return text('ok');
        }
      },
    });
    const tools = engramTools({ client: dora, source: 'agent', metadata: { app: 'coach' }, recallFilters: { source: 'agent' } });
    const result = await generateText({ model, tools, stopWhen: stepCountIs(4), prompt: 'Log my training.' });

    const { memoryId } = result.steps[0]!.toolResults[0]!.output as { memoryId: string };
    expect(await dora.get(memoryId)).toMatchObject({ source: 'agent', metadata: { app: 'coach', topic: 'sport' } });
    const recalled = result.steps[1]!.toolResults[0]!.output as { memories: { memoryId: string }[] };
    expect(recalled.memories.map((m) => m.memoryId)).toEqual([memoryId]);
  });
});
