// Parses Mermaid files with Mermaid's own parser at its default settings (maxEdges 500,
// maxTextSize 50 000) and prints [{file, ok, error}] as JSON. Mermaid is an ES module that needs
// a DOM (DOMPurify) even to parse, hence its own process with jsdom's window.
import { readFileSync } from "fs";
import { JSDOM } from "jsdom";

const { window } = new JSDOM("");
globalThis.window = window;
globalThis.document = window.document;
const mermaid = (await import("mermaid")).default;
const results = [];
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8");
  try {
    const parsed = await mermaid.parse(text);
    results.push({ file, ok: true, type: parsed.diagramType, chars: text.length });
  } catch (err) {
    results.push({ file, ok: false, error: String(err.message ?? err).split("\n")[0], chars: text.length });
  }
}
process.stdout.write(JSON.stringify(results));
