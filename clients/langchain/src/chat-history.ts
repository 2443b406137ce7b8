import { EngramError, type EngramClient } from '@engram/client';
import { BaseListChatMessageHistory } from '@langchain/core/chat_history';
import { mapStoredMessageToChatMessage, type BaseMessage, type StoredMessageData } from '@langchain/core/messages';

export interface EngramChatMessageHistoryInput {
  /** A client bound to the end user (its `userId`, or the token's subject): the history is that user's. */
  client: EngramClient;
  /** The conversation: stored as `metadata.session_id` on each message's memory. */
  sessionId: string;
  /** The memories' source (default `chat`); messages of this session with another source are not read. */
  source?: string;
  /** Each message expires this many seconds after it is added (default: the service's default TTL). */
  ttlSeconds?: number;
}

/** The message types that round-trip (LangChain's `getType()`): the ones LangChain can rebuild from a stored message. */
const TYPES = new Set(['human', 'ai', 'system', 'tool', 'function', 'generic']);

/**
 * Fields of a message that are not kept: `id` (a message read back has its memory's id), and what a model
 * reports about one call rather than the conversation (`response_metadata`, `usage_metadata`), plus the
 * streaming `tool_call_chunks` (the same calls as `tool_calls`).
 */
const DROPPED = new Set(['content', 'id', 'response_metadata', 'usage_metadata', 'tool_call_chunks']);

/** What one message's memory carries in its (unencrypted) metadata. */
export interface EngramChatHistoryMetadata {
  session_id: string;
  /** The LangChain message type: human, ai, system, tool, function or generic. */
  role: string;
  /** A per-process increasing number that orders messages stored in the same millisecond. */
  seq: number;
  /** `json`: the text is the message as JSON (`{content, tool_calls?, name?, …}`); absent: the text is the content. */
  format?: 'json';
}

let lastSeq = 0;
/** Microseconds since the epoch, made strictly increasing within this process. */
function nextSeq(): number {
  lastSeq = Math.max(lastSeq + 1, Date.now() * 1000);
  return lastSeq;
}

/**
 * A LangChain chat message history stored in Engram: each message is one memory of the client's user, with
 * source `chat` and metadata `{ session_id, role, seq, format? }` (see {@link EngramChatHistoryMetadata}).
 *
 * - The memory's text (encrypted by the service) is the message's content when that is a non-blank string
 *   and the message has nothing else to keep; otherwise (non-string content such as content blocks, blank
 *   content, tool calls, a tool message's `tool_call_id`, a `name`, `additional_kwargs`, a generic message's
 *   `role`) it is the message as JSON and `metadata.format` is `json`. Nothing of the message but its type
 *   goes into the metadata, which is stored unencrypted.
 * - Messages are stored with `dedup: false`: the same text twice in a conversation is kept twice.
 * - getMessages() returns the session's messages oldest first (by the service's `createdAt`, then `seq`).
 *   The list route cannot filter by metadata, so getMessages() and clear() page through all of the user's
 *   memories and keep this session's (one request per 200 memories).
 */
export class EngramChatMessageHistory extends BaseListChatMessageHistory {
  static override lc_name() {
    return 'EngramChatMessageHistory';
  }

  override lc_namespace = ['engram', 'stores', 'message'];

  readonly client: EngramClient;
  readonly sessionId: string;
  readonly source: string;
  readonly ttlSeconds?: number;

  constructor(fields: EngramChatMessageHistoryInput) {
    super(fields);
    if (!fields.sessionId) throw new TypeError('EngramChatMessageHistory needs a sessionId');
    this.client = fields.client;
    this.sessionId = fields.sessionId;
    this.source = fields.source ?? 'chat';
    this.ttlSeconds = fields.ttlSeconds;
  }

  async getMessages(): Promise<BaseMessage[]> {
    const stored = await this.sessionMemories();
    stored.sort((a, b) => a.time - b.time || a.seq - b.seq);
    return stored.map(({ memoryId, text, metadata }) => {
      let data: StoredMessageData;
      if (metadata.format === 'json') {
        try {
          data = JSON.parse(text) as StoredMessageData;
        } catch (cause) {
          throw new Error(`memory ${memoryId} of chat session ${this.sessionId} is not a stored message (bad JSON)`, { cause });
        }
      } else {
        data = { content: text, role: undefined, name: undefined, tool_call_id: undefined };
      }
      return mapStoredMessageToChatMessage({ type: metadata.role, data: { ...data, id: memoryId } });
    });
  }

  async addMessage(message: BaseMessage): Promise<void> {
    await this.addMessages([message]);
  }

  /** One request per message, in order (each waits for the one before, so their `createdAt` order is theirs). */
  override async addMessages(messages: BaseMessage[]): Promise<void> {
    const memories = messages.map((m) => this.toMemory(m)); // refuse a bad message before storing any
    for (const { text, metadata } of memories) {
      await this.client.add(text, { source: this.source, metadata: { ...metadata }, dedup: false, ttlSeconds: this.ttlSeconds });
    }
  }

  /** Deletes this session's messages (and nothing else of the user's). */
  override async clear(): Promise<void> {
    for (const { memoryId } of await this.sessionMemories()) {
      try {
        await this.client.delete(memoryId);
      } catch (error) {
        if (!(error instanceof EngramError && error.status === 404)) throw error; // already gone
      }
    }
  }

  private toMemory(message: BaseMessage): { text: string; metadata: EngramChatHistoryMetadata } {
    const type = message.getType();
    if (!TYPES.has(type)) throw new TypeError(`EngramChatMessageHistory cannot store a message of type "${type}"`);
    const data = message.toDict().data as unknown as Record<string, unknown>;
    const extras = Object.fromEntries(Object.entries(data).filter(([key, value]) => !DROPPED.has(key) && !isEmpty(value)));
    const metadata: EngramChatHistoryMetadata = { session_id: this.sessionId, role: type, seq: nextSeq() };
    const content = data.content;
    if (typeof content === 'string' && content.trim() !== '' && Object.keys(extras).length === 0) return { text: content, metadata };
    return { text: JSON.stringify({ content, ...extras }), metadata: { ...metadata, format: 'json' } };
  }

  private async sessionMemories() {
    const found: { memoryId: string; text: string; metadata: EngramChatHistoryMetadata; time: number; seq: number }[] = [];
    // The service filters by source and session; the checks below stay (a memory that only looks like a turn).
    for await (const memory of this.client.list({ pageSize: 200, filters: { source: this.source, metadata: { session_id: this.sessionId } } })) {
      const metadata = memory.metadata as Partial<EngramChatHistoryMetadata>;
      if (memory.source !== this.source || metadata.session_id !== this.sessionId || typeof metadata.role !== 'string') continue;
      found.push({
        memoryId: memory.memoryId,
        text: memory.text ?? '',
        metadata: metadata as EngramChatHistoryMetadata,
        time: Date.parse(memory.createdAt),
        seq: typeof metadata.seq === 'number' ? metadata.seq : 0,
      });
    }
    return found;
  }
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}
