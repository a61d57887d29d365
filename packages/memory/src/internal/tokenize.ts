const WORD = /[\p{L}\p{N}]+/gu;

/** Lower-cased runs of letters and digits: the keyword index's terms (FTS5 unicode61 alike). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/** Distinct terms of a query, in first-seen order. */
export function queryTerms(text: string): string[] {
  return [...new Set(tokenize(text))];
}
