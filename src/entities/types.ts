/**
 * What the extractor recognises. `date` covers dates and times; `quantity` counts and measures;
 * `animal` is a named animal (a pet: "a beagle called Rex").
 */
export const ENTITY_TYPES = [
  'person',
  'organization',
  'place',
  'date',
  'money',
  'quantity',
  'email',
  'url',
  'event',
  'product',
  'animal',
] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** Named things that take part in relationships (formats such as dates and amounts do not). */
export const NAMED_TYPES: ReadonlySet<EntityType> = new Set(['person', 'organization', 'place', 'event', 'product', 'animal']);

/** A piece of text to extract from, and where it is stored when it came from a memory. */
export interface Segment {
  text: string;
  memoryId?: string;
  chunkId?: string;
}

/** Where something was found: the stored chunk, when the text came from a memory. */
export interface Origin {
  memoryId?: string;
  chunkId?: string;
}

export interface ExtractedEntity {
  /** The canonical surface form (the longest form seen, possessive stripped). */
  name: string;
  type: EntityType;
  /** Normalised keys of every surface form that resolved to this entity (for lookup). */
  keys: string[];
  mentions: number;
  /** 0..1, relative to the most salient entity of the same extraction. */
  salience: number;
  /** How many times it was found per chunk (only for text from memories). */
  origins: Array<Origin & { count: number }>;
}

export interface ExtractedRelationship {
  source: string;
  predicate: string;
  target: string;
  /** The sentence it was read from. */
  evidence: string;
  memoryId?: string;
  chunkId?: string;
}

export interface Extraction {
  entities: ExtractedEntity[];
  relationships: ExtractedRelationship[];
}
