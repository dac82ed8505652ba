/**
 * Whether JSON text nests objects and arrays more than `maxDepth` levels deep (a top-level object
 * is one level). One pass over the text, without recursion and without parsing it, so neither the
 * check nor a parser ever works through a hostile nesting; brackets inside strings do not count.
 */
export function jsonNestingExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === QUOTE) {
      i = closingQuote(text, i);
    } else if (char === OPEN_BRACE || char === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (char === CLOSE_BRACE || char === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Where the string opened at `open` ends (the text's length when it does not). */
function closingQuote(text: string, open: number): number {
  let at = open;
  for (;;) {
    // indexOf skips string content far faster than a loop over its characters.
    at = text.indexOf('"', at + 1);
    if (at < 0) return text.length;
    // A quote after an odd number of backslashes is escaped: part of the string.
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
