import type { AddressInfo } from 'node:net';
import { EngramClient, EngramError, type FetchLike } from '@engram/client';
import {
  AIMessage,
  ChatMessage,
  HumanMessage,
  RemoveMessage,
  SystemMessage,
  ToolMessage,
  type BaseMessage,
} from '@langchain/core/messages';
import { ChatPromptTemplate, MessagesPlaceholder } from '@langchain/core/prompts';
import { RunnableWithMessageHistory } from '@langchain/core/runnables';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngramChatMessageHistory, EngramRetriever } from '../../clients/langchain/src/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backend } from '../helpers/database.js';

/** The LangChain.js adapters (real @langchain/core) against the real service on a real port. */
describe(`LangChain.js adapters (${backend()})`, () => {
  let t: TestApp;
  let baseUrl: string;
  const client = async (user: string, fetch?: FetchLike) => new EngramClient({ baseUrl, token: await t.token(user), userId: user, fetch });

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  describe('EngramRetriever', () => {
    let alice: EngramClient;
    let bees: string;
    let cello: string;
    let sister: string;

    beforeAll(async () => {
      alice = await client('alice');
      bees = (await alice.add('Alice keeps bees on her rooftop in Lisbon.', { source: 'notes', metadata: { topic: 'hobby', score: 'mine' } })).memoryId;
      cello = (await alice.add('Alice is learning the cello with a teacher from Porto.', { source: 'notes', metadata: { topic: 'music' } })).memoryId;
      sister = (await alice.add("Alice's sister lives in Porto and keeps chickens.", { source: 'chat', metadata: { topic: 'family' } })).memoryId;
    });

    it('invoke returns the right memory first, as a Document with the documented metadata', async () => {
      const retriever = new EngramRetriever({ client: alice, k: 3 });
      const docs = await retriever.invoke('what insects does she keep on the roof?');
      expect(docs.map((d) => d.id).sort()).toEqual([bees, cello, sister].sort());
      expect(docs[0]).toMatchObject({ id: bees, pageContent: 'Alice keeps bees on her rooftop in Lisbon.' });
      // The memory's metadata, then Engram's fields (its `score` wins over the memory's own `score` key).
      expect(docs[0]!.metadata).toEqual({
        topic: 'hobby',
        memoryId: bees,
        chunkId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        score: expect.any(Number),
        relevance: expect.any(Number),
        source: 'notes',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      const scores = docs.map((d) => d.metadata.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    });

    it('honours k, filters, minScore and minRelevance', async () => {
      expect(await new EngramRetriever({ client: alice, k: 1 }).invoke('bees on the rooftop')).toHaveLength(1);
      const music = await new EngramRetriever({ client: alice, filters: { metadata: { topic: 'music' } } }).invoke('bees on the rooftop');
      expect(music.map((d) => d.id)).toEqual([cello]);
      const chat = await new EngramRetriever({ client: alice, filters: { source: 'chat' } }).invoke('Porto');
      expect(chat.map((d) => d.id)).toEqual([sister]);
      const later = await new EngramRetriever({ client: alice, filters: { createdAfter: new Date(Date.now() + 60_000).toISOString() } }).invoke('Porto');
      expect(later).toEqual([]);

      const all = await new EngramRetriever({ client: alice, k: 3 }).invoke('bees on the rooftop');
      const [first, second] = all.map((d) => d.metadata.score);
      expect(first).toBeGreaterThan(second!);
      const cut = await new EngramRetriever({ client: alice, k: 3, minScore: (first! + second!) / 2 }).invoke('bees on the rooftop');
      expect(cut.map((d) => d.id)).toEqual([bees]);
      expect(await new EngramRetriever({ client: alice, k: 3, minRelevance: 1 }).invoke('bees on the rooftop')).toEqual([]);
      const plain = await new EngramRetriever({ client: alice, k: 1, rerank: false }).invoke('bees on the rooftop');
      expect(plain.map((d) => d.id)).toEqual([bees]);
    });

    it('gives one Document per memory: the best of its chunks', async () => {
      const kim = await client('kim');
      const long = [
        'Kim started playing the violin at the age of six, in a small music school in Ghent. '.repeat(6).trim(),
        'Kim now plays the violin in a string quartet that rehearses every Thursday evening. '.repeat(6).trim(),
      ].join(' ');
      const { memoryId, chunkCount } = await kim.add(long);
      expect(chunkCount).toBeGreaterThan(1);
      const docs = await new EngramRetriever({ client: kim, k: 5 }).invoke('violin quartet rehearsal');
      expect(docs.map((d) => d.id)).toEqual([memoryId]);
      expect(long).toContain(docs[0]!.pageContent);
      expect(docs[0]!.pageContent.length).toBeLessThan(long.length);
    });

    it('reports the run to LangChain callbacks', async () => {
      const events: string[] = [];
      let ended: unknown[] = [];
      const docs = await new EngramRetriever({ client: alice, k: 1 }).invoke('bees', {
        runName: 'memory',
        callbacks: [
          {
            handleRetrieverStart: (_r: unknown, query: string) => void events.push(`start:${query}`),
            handleRetrieverEnd: (documents: unknown[]) => {
              events.push('end');
              ended = documents;
            },
          },
        ],
      });
      expect(events).toEqual(['start:bees', 'end']);
      expect(ended).toEqual(docs);
    });

    it("never returns another user's memories: bob's retriever cannot see alice's", async () => {
      const bob = await client('bob');
      const own = (await bob.add('Bob keeps bees in his garden.')).memoryId;
      const docs = await new EngramRetriever({ client: bob, k: 10 }).invoke('who keeps bees on a rooftop in Lisbon?');
      expect(docs.map((d) => d.id)).toEqual([own]);
      // Bob's token with alice's user id: refused, not answered.
      const posing = new EngramClient({ baseUrl, token: await t.token('bob'), userId: 'alice' });
      const err = await new EngramRetriever({ client: posing }).invoke('bees').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngramError);
      expect(err).toMatchObject({ status: 403, code: 'CROSS_TENANT' });
    });
  });

  describe('EngramChatMessageHistory', () => {
    const conversation = (): BaseMessage[] => [
      new SystemMessage('You are a terse assistant.'),
      new HumanMessage('My name is Dana.'),
      new AIMessage({ content: '', tool_calls: [{ id: 'call-1', name: 'lookup_weather', args: { city: 'Lisbon' }, type: 'tool_call' }] }),
      new ToolMessage({ content: 'sunny, 24°C', tool_call_id: 'call-1', name: 'lookup_weather' }),
      new AIMessage('It is sunny in Lisbon, Dana.'),
      new HumanMessage('ok'),
      new AIMessage('Anything else?'),
      new HumanMessage('ok'),
      new HumanMessage({ content: [{ type: 'text', text: 'Look at this:' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }),
      new ChatMessage('Keep it short.', 'critic'),
    ];

    const expectConversation = (messages: BaseMessage[]) => {
      expect(messages.map((m) => [m.getType(), m.content])).toEqual(conversation().map((m) => [m.getType(), m.content]));
      const call = messages[2] as AIMessage;
      expect(call.tool_calls).toEqual([expect.objectContaining({ id: 'call-1', name: 'lookup_weather', args: { city: 'Lisbon' } })]);
      expect(messages[3]).toMatchObject({ tool_call_id: 'call-1', name: 'lookup_weather' });
      expect((messages[9] as ChatMessage).role).toBe('critic');
      for (const m of messages) expect(m.id).toMatch(/^[0-9a-f-]{36}$/);
    };

    it('round-trips human, ai (with tool calls), tool, system and generic messages in order, repeated turns kept', async () => {
      const dana = await client('dana');
      const history = new EngramChatMessageHistory({ client: dana, sessionId: 'trip-1' });
      await history.addMessages(conversation().slice(0, 4));
      for (const m of conversation().slice(4)) await history.addMessage(m);
      expectConversation(await history.getMessages());
      // A fresh history on the same session reads the same conversation.
      expectConversation(await new EngramChatMessageHistory({ client: dana, sessionId: 'trip-1' }).getMessages());

      // What the service holds: plain content when that is all there is, JSON otherwise; only the type in metadata.
      const stored = await dana.getAll();
      expect(stored).toHaveLength(10);
      const ok = stored.filter((m) => m.text === 'ok');
      expect(ok).toHaveLength(2);
      expect(ok[0]).toMatchObject({ source: 'chat', metadata: { session_id: 'trip-1', role: 'human', seq: expect.any(Number) } });
      expect(ok[0]!.metadata).not.toHaveProperty('format');
      const tool = stored.find((m) => m.metadata.role === 'tool')!;
      expect(tool.metadata).toEqual({ session_id: 'trip-1', role: 'tool', seq: expect.any(Number), format: 'json' });
      expect(JSON.parse(tool.text!)).toEqual({ content: 'sunny, 24°C', tool_call_id: 'call-1', name: 'lookup_weather' });
    });

    it('orders messages the service dated in the same millisecond by their sequence number', async () => {
      const instant = new Date(Date.now() - 1000).toISOString();
      // Every message is stored with one created_at (the import field), so only `seq` can order them.
      const sameInstant: FetchLike = (url, init) => {
        if (init.method === 'POST' && String(url).endsWith('/index')) {
          init = { ...init, body: JSON.stringify({ ...JSON.parse(String(init.body)), created_at: instant }) };
        }
        return fetch(url, init);
      };
      const erik = await client('erik', sameInstant);
      const history = new EngramChatMessageHistory({ client: erik, sessionId: 'same-ms' });
      const turns = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'];
      await history.addMessages(turns.map((text, i) => (i % 2 ? new AIMessage(text) : new HumanMessage(text))));
      expect(new Set((await erik.getAll()).map((m) => m.createdAt))).toEqual(new Set([instant]));
      expect((await history.getMessages()).map((m) => m.content)).toEqual(turns);
    });

    it('keeps two sessions apart; clear removes only its own session', async () => {
      const fay = await client('fay');
      const a = new EngramChatMessageHistory({ client: fay, sessionId: 'a' });
      const b = new EngramChatMessageHistory({ client: fay, sessionId: 'b' });
      // Not a chat message: it has the session's metadata but not the history's source.
      const note = (await fay.add('Fay prefers trains to planes.', { metadata: { session_id: 'a', role: 'human', seq: 1 } })).memoryId;
      await a.addUserMessage('hello from a');
      await b.addUserMessage('hello from b');
      await a.addAIMessage('ok');
      await b.addAIMessage('ok');
      expect((await a.getMessages()).map((m) => m.content)).toEqual(['hello from a', 'ok']);
      expect((await b.getMessages()).map((m) => m.content)).toEqual(['hello from b', 'ok']);

      await a.clear();
      expect(await a.getMessages()).toEqual([]);
      expect((await b.getMessages()).map((m) => [m.getType(), m.content])).toEqual([
        ['human', 'hello from b'],
        ['ai', 'ok'],
      ]);
      expect((await fay.get(note)).text).toBe('Fay prefers trains to planes.');
      expect(await fay.getAll()).toHaveLength(3);
    });

    it("is the client's user's: another user's history with the same session id is empty, and clear leaves it alone", async () => {
      const gus = new EngramChatMessageHistory({ client: await client('gus'), sessionId: 'shared' });
      const hal = new EngramChatMessageHistory({ client: await client('hal'), sessionId: 'shared' });
      await gus.addUserMessage('Gus: my PIN is 1234');
      expect(await hal.getMessages()).toEqual([]);
      await hal.clear();
      expect((await gus.getMessages()).map((m) => m.content)).toEqual(['Gus: my PIN is 1234']);
    });

    it('serves RunnableWithMessageHistory: each session sees its own earlier turns', async () => {
      const jo = await client('jo');
      const model = new FakeListChatModel({ responses: ['Hello Jo!', 'You are Jo.', 'Hi, whoever you are.'] });
      const seen: string[][] = [];
      const prompt = ChatPromptTemplate.fromMessages([new MessagesPlaceholder('history'), ['human', '{input}']]);
      const chain = new RunnableWithMessageHistory({
        runnable: prompt.pipe((value) => {
          seen.push(value.toChatMessages().map((m) => `${m.getType()}: ${String(m.content)}`));
          return value;
        }).pipe(model),
        getMessageHistory: (sessionId: string) => new EngramChatMessageHistory({ client: jo, sessionId }),
        inputMessagesKey: 'input',
        historyMessagesKey: 'history',
      });
      await chain.invoke({ input: 'I am Jo.' }, { configurable: { sessionId: 'one' } });
      await chain.invoke({ input: 'Who am I?' }, { configurable: { sessionId: 'one' } });
      await chain.invoke({ input: 'Who am I?' }, { configurable: { sessionId: 'two' } });
      expect(seen).toEqual([
        ['human: I am Jo.'],
        ['human: I am Jo.', 'ai: Hello Jo!', 'human: Who am I?'],
        ['human: Who am I?'],
      ]);
      const one = await new EngramChatMessageHistory({ client: jo, sessionId: 'one' }).getMessages();
      expect(one.map((m) => m.content)).toEqual(['I am Jo.', 'Hello Jo!', 'Who am I?', 'You are Jo.']);
    });

    it('refuses a message type it cannot restore, before storing anything', async () => {
      const ivy = await client('ivy');
      const history = new EngramChatMessageHistory({ client: ivy, sessionId: 's' });
      await expect(history.addMessages([new HumanMessage('hi'), new RemoveMessage({ id: 'x' })])).rejects.toThrow(/type "remove"/);
      expect(await ivy.getAll()).toEqual([]);
    });
  });
});
