// The raw text of one member of a JSON object, as the client sent it (API.md measures an event's
// payload "as the UTF-8 bytes of its JSON as received", whitespace included).

/** Index just past the JSON string that starts at `start` (a `"`). */
function skipString(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const char = text[index];
    if (char === "\\") index += 2;
    else if (char === '"') return index + 1;
    else index++;
  }
  throw new SyntaxError("unterminated string");
}

/** Index just past the JSON value that starts at `start`. */
function skipValue(text: string, start: number): number {
  const first = text[start];
  if (first === '"') return skipString(text, start);
  if (first !== "{" && first !== "[") {
    let index = start;
    while (index < text.length && !/[\s,\]}]/.test(text[index] as string)) index++;
    return index;
  }
  let depth = 0;
  let index = start;
  while (index < text.length) {
    const char = text[index];
    if (char === '"') {
      index = skipString(text, index);
      continue;
    }
    if (char === "{" || char === "[") depth++;
    else if (char === "}" || char === "]") {
      depth--;
      if (depth === 0) return index + 1;
    }
    index++;
  }
  throw new SyntaxError("unterminated value");
}

const skipSpace = (text: string, index: number) => {
  while (index < text.length && /\s/.test(text[index] as string)) index++;
  return index;
};

/**
 * The raw text of the top-level member `name` of a JSON object text, or undefined when absent.
 * The text must already be valid JSON (it is parsed before this is asked).
 */
export function rawMember(text: string, name: string): string | undefined {
  let index = skipSpace(text, 0);
  if (text[index] !== "{") return undefined;
  index = skipSpace(text, index + 1);
  let found: string | undefined;
  while (index < text.length && text[index] !== "}") {
    const keyEnd = skipString(text, index);
    const key = JSON.parse(text.slice(index, keyEnd)) as string;
    index = skipSpace(text, skipSpace(text, keyEnd) + 1); // past the colon
    const valueEnd = skipValue(text, index);
    // The last duplicate wins, as in JSON.parse.
    if (key === name) found = text.slice(index, valueEnd);
    index = skipSpace(text, valueEnd);
    if (text[index] === ",") index = skipSpace(text, index + 1);
  }
  return found;
}
