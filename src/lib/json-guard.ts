// Checks a JSON text before anything parses it, so that what the API accepts is what it stores:
// no nesting deeper than the limit (nothing downstream recurses past it), no NUL and no lone
// surrogate in a string or key (PostgreSQL cannot store them), no number that JSON.parse would
// change (out of the finite double range, a non-zero that underflows to 0, an integer a double
// cannot hold digit for digit), no duplicate key (JSON.parse would keep one silently) and no
// `__proto__` key (an object spread or copy drops it). One pass, iterative: a hostile depth costs
// a counter, not the stack.

export const MAX_JSON_DEPTH = 128;

/** A JSON text the API refuses: `path` names the member, as `a.b.0.c` (empty for the root). */
export class JsonGuardError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

interface Frame {
  keys: Set<string> | undefined; // an object's keys so far; undefined for an array
  at: string | number; // the current member's key or index
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
/** The integer digits JavaScript writes for an integral double: `1e+21` spelled out as 1 and 21 zeros. */
function integerText(value: number): string {
  const text = String(value);
  const match = /^(-?)(\d)(?:\.(\d+))?e\+(\d+)$/.exec(text);
  if (!match) return text;
  const [, sign = "", head = "", tail = "", exponent = "0"] = match;
  return sign + (head + tail).padEnd(Number(exponent) + 1, "0");
}
const SIMPLE_ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

/** Throws JsonGuardError for the first problem in `text`; a syntax error is left to JSON.parse. */
export function guardJson(text: string, maxDepth = MAX_JSON_DEPTH): void {
  const stack: Frame[] = [];
  const path = () => stack.map((frame) => String(frame.at)).join(".");
  let index = 0;

  const skipSpace = () => {
    while (index < text.length && WHITESPACE.has(text[index] as string)) index++;
  };

  /** Checks the string starting at `index` (a `"`) code unit by code unit, and moves past it. */
  const skipString = () => {
    index++;
    while (index < text.length) {
      const char = text[index] as string;
      if (char === '"') {
        index++;
        return;
      }
      if (char !== "\\") {
        index++;
        continue;
      }
      const escaped = text[index + 1] ?? "";
      if (escaped !== "u") {
        if (!SIMPLE_ESCAPES.has(escaped)) throw new SyntaxError("bad escape");
        index += 2;
        continue;
      }
      const unit = Number.parseInt(text.slice(index + 2, index + 6), 16);
      if (Number.isNaN(unit)) throw new SyntaxError("bad escape");
      index += 6;
      if (unit === 0) throw new JsonGuardError("must not contain U+0000 (NUL)", path());
      if (unit >= 0xdc00 && unit <= 0xdfff) throw new JsonGuardError("has a lone surrogate", path());
      if (unit >= 0xd800 && unit <= 0xdbff) {
        const low =
          text.slice(index, index + 2) === "\\u" ? Number.parseInt(text.slice(index + 2, index + 6), 16) : -1;
        if (!(low >= 0xdc00 && low <= 0xdfff)) throw new JsonGuardError("has a lone surrogate", path());
        index += 6;
      }
    }
    throw new SyntaxError("unterminated string");
  };

  const readNumber = () => {
    NUMBER.lastIndex = index;
    const match = NUMBER.exec(text);
    if (!match) throw new SyntaxError("bad value");
    const literal = match[0];
    index += literal.length;
    const value = Number(literal);
    if (!Number.isFinite(value)) throw new JsonGuardError("is outside the range of a double", path());
    if (value === 0 && /[1-9]/.test(literal.replace(/[eE].*$/, ""))) {
      throw new JsonGuardError("is too small to be represented (it would become 0)", path());
    }
    // An integer past 2^53 is kept only when the double holds it digit for digit (what JavaScript
    // writes back, e.g. 100000000000000000000); 9007199254740993 or 30 digits would come back rounded.
    if (match[1] === undefined && match[2] === undefined && literal.length > 15) {
      if (integerText(value) !== literal) {
        throw new JsonGuardError(
          "is an integer a double cannot hold exactly (it would come back rounded)",
          path(),
        );
      }
    }
  };

  /** After a value: the next member of the enclosing container, or its end. */
  const afterValue = (): boolean => {
    for (;;) {
      skipSpace();
      const frame = stack.at(-1);
      if (!frame) return false;
      const char = text[index];
      if (char === ",") {
        index++;
        skipSpace();
        if (frame.keys) readKey(frame);
        else frame.at = (frame.at as number) + 1;
        return true;
      }
      if (char !== (frame.keys ? "}" : "]")) throw new SyntaxError("bad separator");
      index++;
      stack.pop();
    }
  };

  const readKey = (frame: Frame) => {
    if (text[index] !== '"') throw new SyntaxError("bad key");
    frame.at = "";
    const start = index;
    skipString();
    // Escapes checked: parsing the literal gives the key as JSON.parse will (a raw control
    // character makes it throw the SyntaxError left to JSON.parse).
    const key = JSON.parse(text.slice(start, index)) as string;
    frame.at = key;
    if (key === "__proto__") throw new JsonGuardError('the key "__proto__" is not allowed', path());
    if (frame.keys?.has(key)) throw new JsonGuardError("is a duplicate key", path());
    frame.keys?.add(key);
    skipSpace();
    if (text[index] !== ":") throw new SyntaxError("bad colon");
    index++;
  };

  for (;;) {
    skipSpace();
    const char = text[index];
    if (char === "{" || char === "[") {
      if (stack.length >= maxDepth)
        throw new JsonGuardError(`is nested deeper than ${maxDepth} levels`, path());
      index++;
      skipSpace();
      const frame: Frame = { keys: char === "{" ? new Set() : undefined, at: char === "{" ? "" : 0 };
      stack.push(frame);
      if (text[index] === (char === "{" ? "}" : "]")) {
        index++;
        stack.pop();
      } else {
        if (frame.keys) readKey(frame);
        continue;
      }
    } else if (char === '"') skipString();
    else if (char === "-" || (char !== undefined && char >= "0" && char <= "9")) readNumber();
    else if (text.startsWith("true", index)) index += 4;
    else if (text.startsWith("false", index)) index += 5;
    else if (text.startsWith("null", index)) index += 4;
    else throw new SyntaxError("bad value");
    if (!afterValue()) return;
  }
}
