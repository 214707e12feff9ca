// Bundles js/src into wasmind_nb/notebook/static/widget.{js,css} with esbuild.
//   node build.mjs          write the bundle
//   node build.mjs --check  exit 1 if the committed bundle differs from a fresh build
// Each output starts with a stamp: a hash of js/src, package.json and package-lock.json. The Python test
// suite recomputes it (tests/notebook/test_widget_bundle.py) to catch a bundle that is out of date.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const staticDir = join(here, "..", "wasmind_nb", "notebook", "static");

/** Files that determine the bundle, as paths relative to js/ with forward slashes, sorted. */
function inputs() {
  const files = ["package.json", "package-lock.json"];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(relative(here, path).split(sep).join("/"));
    }
  };
  walk(join(here, "src"));
  return files.sort();
}

/** sha256 over (path NUL bytes NUL) for each input, first 16 hex digits. */
export function sourceHash() {
  const hash = createHash("sha256");
  for (const file of inputs()) {
    hash.update(file);
    hash.update("\0");
    hash.update(readFileSync(join(here, file)));
    hash.update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

async function bundle(entry, banner) {
  const result = await build({
    entryPoints: [join(here, "src", entry)],
    bundle: true,
    minify: true,
    format: "esm",
    target: ["es2020", "chrome100", "firefox100", "safari15"],
    legalComments: "none",
    banner,
    write: false,
    outdir: staticDir,
    logLevel: "warning",
  });
  return result.outputFiles[0].text;
}

async function main() {
  const stamp = `/* wasmind-nb AgentView, built from js/ (source hash ${sourceHash()}) by js/build.mjs */`;
  const outputs = {
    "widget.js": await bundle("index.js", { js: stamp }),
    "widget.css": await bundle("widget.css", { css: stamp }),
  };
  const check = process.argv.includes("--check");
  let stale = false;
  for (const [name, text] of Object.entries(outputs)) {
    const path = join(staticDir, name);
    if (check) {
      let old = "";
      try {
        old = readFileSync(path, "utf8");
      } catch {}
      if (old !== text) {
        console.error(`${name} is out of date: run \`npm run build\` in js/`);
        stale = true;
      }
    } else {
      writeFileSync(path, text);
      console.log(`wrote ${relative(process.cwd(), path)} (${text.length} bytes)`);
    }
  }
  if (stale) process.exit(1);
}

await main();
