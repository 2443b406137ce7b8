/**
 * The key a name is compared and looked up by: Unicode-normalised (NFKC), possessive and edge
 * punctuation stripped, a leading article dropped, whitespace collapsed, lower-cased. "Caroline",
 * "Caroline's" and "CAROLINE" share one key.
 */
export function nameKey(name: string): string {
  return displayName(name).toLocaleLowerCase('en');
}

/** A name as shown: the same clean-up as nameKey, case kept. */
export function displayName(name: string): string {
  return name
    .normalize('NFKC')
    .replace(/[’‘`]/g, "'")
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[\s"'([{]+|[\s"')\]}.,;:!?]+$/g, '')
    .replace(/'s$|(?<=s)'$/i, '')
    .replace(/^the\s+/i, '')
    .trim();
}
