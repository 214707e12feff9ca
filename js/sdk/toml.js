// The TOML of an actor's config (what the host hands its constructor) as a plain object. No imports.
//
// Reads what the host writes (tomli-w): `key = value` lines, `[table]` and `[[array]]` headers, dotted
// and quoted keys, basic and literal strings, integers, floats, booleans, arrays (over several lines)
// and inline tables. Dates and multi-line strings are not supported: they throw, naming the line.

export function parseConfig(text) {
  return new Reader(text).document();
}

const BARE_KEY = /[A-Za-z0-9_-]/;

class Reader {
  constructor(text) {
    this.text = text;
    this.at = 0;
  }

  fail(what) {
    const line = this.text.slice(0, this.at).split("\n").length;
    throw new Error(`config TOML line ${line}: ${what}`);
  }

  peek() {
    return this.text[this.at];
  }

  /** Skip spaces and tabs (and newlines and comments with `lines`). */
  skip(lines = false) {
    for (;;) {
      const ch = this.peek();
      if (ch === " " || ch === "\t" || ch === "\r" || (lines && ch === "\n")) this.at += 1;
      else if (ch === "#") while (this.at < this.text.length && this.peek() !== "\n") this.at += 1;
      else return;
    }
  }

  document() {
    const root = {};
    let table = root;
    for (;;) {
      this.skip(true);
      if (this.at >= this.text.length) return root;
      if (this.peek() === "[") {
        const array = this.text.startsWith("[[", this.at);
        this.at += array ? 2 : 1;
        const keys = this.key();
        if (!this.text.startsWith(array ? "]]" : "]", this.at)) this.fail("unclosed table header");
        this.at += array ? 2 : 1;
        table = this.descend(root, keys.slice(0, -1));
        const last = keys.at(-1);
        if (array) {
          const list = (table[last] ??= []);
          if (!Array.isArray(list)) this.fail(`${last} is not an array of tables`);
          list.push((table = {}));
        } else {
          table = table[last] ??= {};
        }
      } else {
        this.assign(table);
      }
      this.skip();
      if (this.at < this.text.length && this.peek() !== "\n") this.fail("expected the end of the line");
    }
  }

  descend(table, keys) {
    for (const part of keys) {
      let next = (table[part] ??= {});
      if (Array.isArray(next)) next = next.at(-1);
      if (typeof next !== "object" || next === null) this.fail(`${part} is not a table`);
      table = next;
    }
    return table;
  }

  assign(table) {
    const keys = this.key();
    this.skip();
    if (this.peek() !== "=") this.fail("expected key = value");
    this.at += 1;
    this.descend(table, keys.slice(0, -1))[keys.at(-1)] = this.value();
  }

  key() {
    const parts = [];
    for (;;) {
      this.skip();
      const ch = this.peek();
      if (ch === '"' || ch === "'") parts.push(this.string());
      else {
        const start = this.at;
        while (this.at < this.text.length && BARE_KEY.test(this.peek())) this.at += 1;
        if (start === this.at) this.fail("expected a key");
        parts.push(this.text.slice(start, this.at));
      }
      this.skip();
      if (this.peek() !== ".") return parts;
      this.at += 1;
    }
  }

  string() {
    if (this.text.startsWith('"""', this.at) || this.text.startsWith("'''", this.at)) {
      this.fail("multi-line strings are not supported");
    }
    const rest = this.text.slice(this.at);
    if (rest.startsWith("'")) {
      const close = rest.indexOf("'", 1);
      if (close < 0 || rest.slice(0, close).includes("\n")) this.fail("unterminated string");
      this.at += close + 1;
      return rest.slice(1, close);
    }
    const match = rest.match(/^"(?:[^"\\\n]|\\.)*"/);
    if (!match) this.fail("unterminated string");
    this.at += match[0].length;
    const json = match[0]
      .replaceAll("\t", "\\t")
      .replace(/\\U([0-9a-fA-F]{8})/g, (_, hex) => String.fromCodePoint(parseInt(hex, 16)));
    return JSON.parse(json);
  }

  value() {
    this.skip();
    const ch = this.peek();
    if (ch === '"' || ch === "'") return this.string();
    if (ch === "[") return this.array();
    if (ch === "{") return this.inlineTable();
    const match = this.text.slice(this.at).match(/^[^\s,\]}#]+/);
    if (!match) this.fail("expected a value");
    this.at += match[0].length;
    const word = match[0];
    if (word === "true" || word === "false") return word === "true";
    if (/^[+-]?inf$/.test(word)) return word.startsWith("-") ? -Infinity : Infinity;
    if (/^[+-]?nan$/.test(word)) return NaN;
    if (!/^[+-]?(0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[0-9_]+(\.[0-9_]+)?([eE][+-]?[0-9_]+)?)$/.test(word)) {
      this.fail(`cannot read value ${word} (dates are not supported)`);
    }
    const clean = word.replaceAll("_", "");
    const sign = clean.startsWith("-") ? -1 : 1;
    const digits = clean.replace(/^[+-]/, "");
    return /^0[xob]/.test(digits) ? sign * Number(digits) : Number(clean);
  }

  array() {
    this.at += 1;
    const items = [];
    for (;;) {
      this.skip(true);
      if (this.peek() === "]") {
        this.at += 1;
        return items;
      }
      items.push(this.value());
      this.skip(true);
      if (this.peek() === ",") this.at += 1;
      else if (this.peek() !== "]") this.fail("expected , or ] in an array");
    }
  }

  inlineTable() {
    this.at += 1;
    const table = {};
    for (;;) {
      this.skip();
      if (this.peek() === "}") {
        this.at += 1;
        return table;
      }
      this.assign(table);
      this.skip();
      if (this.peek() === ",") this.at += 1;
      else if (this.peek() !== "}") this.fail("expected , or } in an inline table");
    }
  }
}
