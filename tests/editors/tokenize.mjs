// Tokenizes .pops files with the engine VS Code uses (vscode-textmate on vscode-oniguruma)
// and prints, per file, every token as [line, startColumn, endColumn, scopes] (1-based
// lines, columns in code points as Python counts them) and the depth of the rule stack
// after the last line (1 when every region the grammar opened was closed): JSON on stdout
// for tests/editors/test_textmate.py, which checks whole example projects with it.
// Usage: node tokenize.mjs <node_modules folder> <grammar.json> <file.pops>...
// Without files it serves: one JSON string (a source text) per line on stdin, one JSON
// answer per line on stdout, for property tests that tokenize many small programs.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";

const [modules, grammarPath, ...files] = process.argv.slice(2);
const require = createRequire(path.resolve(modules, "resolve-from-here.js"));
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
await oniguruma.loadWASM(wasm);

const registry = new vsctm.Registry({
  onigLib: Promise.resolve({
    createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
    createOnigString: (text) => new oniguruma.OnigString(text),
  }),
  loadGrammar: async () => vsctm.parseRawGrammar(readFileSync(grammarPath, "utf8"), grammarPath),
});
const grammar = await registry.loadGrammar("source.pops");

// vscode-textmate counts UTF-16 code units; Python strings count code points.
const codePoints = (line, index) => Array.from(line.slice(0, index)).length;

function tokenize(text) {
  const tokens = [];
  let stack = vsctm.INITIAL;
  text.split(/\r?\n/).forEach((line, index) => {
    const lineTokens = grammar.tokenizeLine(line, stack);
    for (const t of lineTokens.tokens) {
      const end = Math.min(t.endIndex, line.length);
      tokens.push([index + 1, codePoints(line, t.startIndex), codePoints(line, end), t.scopes]);
    }
    stack = lineTokens.ruleStack;
  });
  return { tokens, depth: stack.depth };
}

if (files.length) {
  const result = {};
  for (const file of files) result[file] = tokenize(readFileSync(file, "utf8"));
  process.stdout.write(JSON.stringify(result));
} else {
  for await (const line of readline.createInterface({ input: process.stdin })) {
    process.stdout.write(JSON.stringify(tokenize(JSON.parse(line))) + "\n");
  }
}
