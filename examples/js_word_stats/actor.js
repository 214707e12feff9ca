// A tool the assistant can call: counts the words, lines and characters of a text, and names the most
// frequent word. Config `min_length` (default 1) ignores shorter words in the frequency count.
import { Tool, ToolError, toolCallResult } from "wasmind";

class WordStats extends Tool {
  static tool = {
    name: "word_stats",
    description: "Count the words, lines and characters of a text and find its most frequent word.",
    parameters: {
      type: "object",
      properties: { text: { type: "string", description: "The text to measure" } },
      required: ["text"],
    },
  };

  setup() {
    this.minLength = this.config.min_length ?? 1;
  }

  call({ text }) {
    if (typeof text !== "string" || text.trim() === "") throw new ToolError("text is empty");
    const words = text.toLowerCase().match(/[^\s.,;:!?"()[\]{}]+/g) ?? [];
    const counts = new Map();
    for (const word of words) {
      if ([...word].length >= this.minLength) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
    const [top, times] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? ["", 0];
    const lines = text.split("\n").length;
    const summary = `${words.length} words, ${lines} line${lines === 1 ? "" : "s"}, ${[...text].length} characters`;
    const detail = top ? `${summary}; most frequent: "${top}" (${times}x)` : summary;
    return toolCallResult(detail, summary);
  }
}

export const actor = { Actor: WordStats };
