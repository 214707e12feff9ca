// Build one JavaScript actor with ComponentizeJS. The actor's folder is staged unchanged (so error
// positions are the author's file:line) beside the repository's helper in `__wasmind__/`, and each
// import of "wasmind" is pointed at it. Called by wasmind_nb/build/javascript.py with one JSON argument;
// prints one JSON line and exits 0, or prints the error on stderr and exits 1.
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";

const job = JSON.parse(process.argv[2]);
const require = createRequire(join(job.toolchain, "package.json"));
const HELPER_DIR = "__wasmind__";
const SKIP = new Set(["node_modules", ".git", HELPER_DIR]);

function fail(text) {
  process.stderr.write(`${text}\n`);
  process.exit(1);
}

async function* jsFiles(folder) {
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.startsWith(".")) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* jsFiles(path);
    else if (/\.m?js$/.test(entry.name)) yield path;
  }
}

/** `file:line:column: SyntaxError: ...` and the line, for each syntax error of a module (oxc's parser). */
function syntaxErrors(name, text) {
  const { parseSync } = require("oxc-parser");
  return parseSync(name, text).errors.map((error) => {
    const start = error.labels?.[0]?.start ?? 0;
    const before = text.slice(0, start).split("\n");
    const line = text.split("\n")[before.length - 1].trim();
    const where = `${name}:${before.length}:${before.at(-1).length + 1}`;
    return `${where}: SyntaxError: ${error.message}${line ? `\n    ${line}` : ""}`;
  });
}

/** Check each staged module, then point its imports of "wasmind" at the staged helper, in place. */
async function linkHelper(stage) {
  const { init, parse } = require("es-module-lexer");
  await init;
  const errors = [];
  for await (const path of jsFiles(stage)) {
    const text = await readFile(path, "utf8");
    const found = syntaxErrors(relative(stage, path), text);
    if (found.length) {
      errors.push(...found);
      continue;
    }
    const [imports] = parse(text);
    let out = "";
    let last = 0;
    for (const spec of imports) {
      if (spec.n !== "wasmind" || spec.d === -2) continue;
      let target = relative(dirname(path), join(stage, HELPER_DIR, "wasmind.js"));
      if (!target.startsWith(".")) target = `./${target}`;
      out += text.slice(last, spec.s) + target;
      last = spec.e;
    }
    if (last) await writeFile(path, out + text.slice(last));
  }
  if (errors.length) fail(errors.join("\n"));
}

const { componentize } = await import(pathToFileURL(job.componentize));
const work = await mkdtemp(join(tmpdir(), "wasmind-js-"));
try {
  const stage = join(work, "actor");
  await cp(job.source, stage, {
    recursive: true,
    filter: (path) =>
      !relative(job.source, path)
        .split("/")
        .some((part) => SKIP.has(part)),
  });
  await mkdir(join(stage, HELPER_DIR));
  await cp(job.helper, join(stage, HELPER_DIR), { recursive: true });
  await linkHelper(stage);
  process.chdir(stage);
  let built;
  try {
    built = await componentize({
      sourcePath: join(stage, job.entry),
      sourceName: job.entry,
      witPath: job.wit,
      worldName: job.world,
      disableFeatures: job.disable,
    });
  } catch (error) {
    // The first line names the wizer binary's path: noise to an actor's author.
    const lines = String(error.message ?? error).split("\n");
    fail(lines.filter((line) => !line.startsWith("Failed to initialize component (")).join("\n"));
  }
  await writeFile(job.out, built.component);
  process.stdout.write(`${JSON.stringify({ imports: built.imports })}\n`);
} finally {
  await rm(work, { recursive: true, force: true });
}
