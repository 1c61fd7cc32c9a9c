// A small reader for EDN, the data format Jepsen writes its histories in.
// It covers what histories use: vectors, lists, maps, sets, keywords, symbols, strings,
// characters, numbers, nil, true/false, comments (`;` and `#_`) and tagged literals
// (`#inst "..."`, `#jepsen.history.Op{...}`), whose tag is dropped and whose value is kept.
//
// EDN values become plain JavaScript: keywords and symbols become strings without the colon
// (`:read` -> "read"), vectors/lists/sets become arrays, maps become objects (a key that is
// not a string or keyword is printed back as EDN-ish text), nil becomes null, and an integer
// beyond 2^53 a bigint (core/big-integers.ts), so it keeps its exact value.
import { exactInteger } from "../core/big-integers.ts";

/** Collections nest at most this deep: histories nest a few levels, and deeper text would
 *  overflow the reader's stack. */
export const MAX_EDN_DEPTH = 1000;

/** A malformed EDN text: says which line and what was expected there. */
export class EdnSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly expected: string,
  ) {
    super(`line ${line}: ${expected}`);
  }
}

/** A top-level form and the line it starts on (for error messages about its content). */
export interface EdnForm {
  value: unknown;
  line: number;
}

const DELIMITERS = new Set(["(", ")", "[", "]", "{", "}", '"', ";"]);

function isWhitespace(c: string): boolean {
  return c === " " || c === "\n" || c === "\t" || c === "\r" || c === "," || c === "\f";
}

/** Reads EDN forms one at a time from a string. */
export class EdnReader {
  private pos = 0;
  private line = 1;
  private depth = 0;

  constructor(private readonly text: string) {}

  /** The next top-level form, or undefined at the end of the text. */
  next(): EdnForm | undefined {
    this.skipSpace();
    if (this.pos >= this.text.length) return undefined;
    const line = this.line;
    return { value: this.readForm(), line };
  }

  /** The line the reader is on (1-based). */
  get currentLine(): number {
    return this.line;
  }

  /** The character offset just past the last form read. */
  get offset(): number {
    return this.pos;
  }

  /** If the next form is a vector or list, reads it and returns its elements, each with the
   *  line it starts on; otherwise reads nothing and returns undefined. */
  nextCollection(): EdnForm[] | undefined {
    this.skipSpace();
    const open = this.text[this.pos];
    if (open !== "[" && open !== "(") return undefined;
    const close = open === "[" ? "]" : ")";
    this.pos++;
    const items: EdnForm[] = [];
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.text.length) {
        this.fail(`'${close}' to close a collection, found the end of the text`);
      }
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      const line = this.line;
      items.push({ value: this.readForm(), line });
    }
  }

  /** Reads the rest of the text as forms. */
  all(): EdnForm[] {
    const forms: EdnForm[] = [];
    for (let f = this.next(); f !== undefined; f = this.next()) forms.push(f);
    return forms;
  }

  private fail(expected: string): never {
    throw new EdnSyntaxError(this.line, expected);
  }

  private skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (c === "\n") {
        this.line++;
        this.pos++;
      } else if (isWhitespace(c)) {
        this.pos++;
      } else if (c === ";") {
        while (this.pos < t.length && t[this.pos] !== "\n") this.pos++;
      } else if (c === "#" && t[this.pos + 1] === "_") {
        // `#_ form` discards the next form.
        this.pos += 2;
        this.skipSpace();
        if (this.pos >= t.length) this.fail("a form after #_, found the end of the text");
        this.readForm();
      } else {
        return;
      }
    }
  }

  private readForm(): unknown {
    if (++this.depth > MAX_EDN_DEPTH)
      this.fail(`at most ${MAX_EDN_DEPTH} levels of nested collections, found deeper nesting`);
    try {
      return this.readFormAtDepth();
    } finally {
      this.depth--;
    }
  }

  private readFormAtDepth(): unknown {
    const t = this.text;
    const c = t[this.pos];
    switch (c) {
      case "[":
      case "(":
        this.pos++;
        return this.readSequence(c === "[" ? "]" : ")");
      case "{":
        this.pos++;
        return this.readMap();
      case '"':
        return this.readString();
      case "#":
        return this.readDispatch();
      case "\\":
        return this.readChar();
      case ")":
      case "]":
      case "}":
        this.fail(`a value, found an unmatched '${c}'`);
      // falls through (fail never returns)
      default:
        return this.readAtom();
    }
  }

  private readSequence(close: string): unknown[] {
    const items: unknown[] = [];
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.text.length)
        this.fail(`'${close}' to close a collection, found the end of the text`);
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.readForm());
    }
  }

  private readMap(): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.text.length) this.fail("'}' to close a map, found the end of the text");
      if (this.text[this.pos] === "}") {
        this.pos++;
        return map;
      }
      const key = this.readForm();
      this.skipSpace();
      if (this.pos >= this.text.length || this.text[this.pos] === "}") {
        this.fail(`a value for map key ${JSON.stringify(mapKey(key))}`);
      }
      map[mapKey(key)] = this.readForm();
    }
  }

  private readString(): string {
    const t = this.text;
    this.pos++; // opening quote
    let out = "";
    let start = this.pos;
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (c === '"') {
        out += t.slice(start, this.pos);
        this.pos++;
        return out;
      }
      if (c === "\n") this.line++;
      if (c === "\\") {
        out += t.slice(start, this.pos);
        const e = t[this.pos + 1];
        const escapes: Record<string, string> = {
          n: "\n",
          t: "\t",
          r: "\r",
          '"': '"',
          "\\": "\\",
          b: "\b",
          f: "\f",
        };
        if (e === "u") {
          const hex = t.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("four hex digits after \\u in a string");
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 6;
        } else if (e !== undefined && e in escapes) {
          out += escapes[e];
          this.pos += 2;
        } else {
          this.fail(`a valid escape in a string, found '\\${e ?? ""}'`);
        }
        start = this.pos;
        continue;
      }
      this.pos++;
    }
    this.fail("a closing '\"' for a string, found the end of the text");
  }

  private readChar(): string {
    this.pos++; // backslash
    const token = this.readToken();
    const named: Record<string, string> = { newline: "\n", space: " ", tab: "\t", return: "\r" };
    if (token.length === 0) {
      // `\(` and friends: a delimiter character.
      const c = this.text[this.pos];
      if (c === undefined) this.fail("a character after '\\'");
      this.pos++;
      return c;
    }
    return named[token] ?? token;
  }

  private readDispatch(): unknown {
    const next = this.text[this.pos + 1];
    if (next === "{") {
      this.pos += 2;
      return this.readSequence("}"); // a set: kept as an array
    }
    if (next === undefined || isWhitespace(next) || DELIMITERS.has(next)) {
      this.fail("a tag, set or discard after '#'");
    }
    // A tagged literal: #tag value. The tag is dropped.
    this.pos++;
    this.readToken();
    this.skipSpace();
    if (this.pos >= this.text.length) this.fail("a value after a '#' tag");
    return this.readForm();
  }

  private readToken(): string {
    const t = this.text;
    const start = this.pos;
    while (this.pos < t.length && !isWhitespace(t[this.pos]) && !DELIMITERS.has(t[this.pos]))
      this.pos++;
    return t.slice(start, this.pos);
  }

  private readAtom(): unknown {
    const token = this.readToken();
    if (token.length === 0) this.fail(`a value, found '${this.text[this.pos]}'`);
    if (token === "nil") return null;
    if (token === "true") return true;
    if (token === "false") return false;
    if (token[0] === ":") {
      if (token.length === 1) this.fail("a keyword name after ':'");
      return token.slice(1);
    }
    const c = token[0];
    if (
      (c >= "0" && c <= "9") ||
      ((c === "-" || c === "+") && token.length > 1 && token[1] >= "0" && token[1] <= "9")
    ) {
      return this.parseNumber(token);
    }
    return token; // a symbol
  }

  private parseNumber(token: string): number | bigint {
    // Integers (with an N suffix), floats (with an M suffix) and ratios like 1/3.
    const m = /^([-+]?\d+)\/(\d+)$/.exec(token);
    if (m) return Number(m[1]) / Number(m[2]);
    const integer = /^([-+]?\d+)N?$/.exec(token);
    if (integer) return exactInteger(integer[1]!.replace(/^\+/, ""));
    const clean = token.replace(/[NM]$/, "");
    const n = Number(clean);
    if (clean === "" || Number.isNaN(n)) this.fail(`a number, found '${token}'`);
    return n;
  }
}

/** How a non-string map key is stored as an object key. */
function mapKey(key: unknown): string {
  if (typeof key === "string") return key;
  return JSON.stringify(key);
}

/** Parses every top-level form of an EDN text. Throws EdnSyntaxError. */
export function parseEdn(text: string): EdnForm[] {
  return new EdnReader(text).all();
}
