// Starts `popsc lsp` (the compiler's own language server, over stdio) for .pops files.
// Highlighting, brackets, folding and snippets are declarative (package.json); this file
// only runs the server, with the executable from `promptlang.server.path`, and restarts
// it when that setting changes.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const command = vscode.workspace.getConfiguration("promptlang").get("server.path") || "popsc";
  return { command, args: ["lsp"], transport: TransportKind.stdio };
}

function clientOptions() {
  return {
    documentSelector: [{ language: "pops" }],
    synchronize: {
      // The server re-checks a project when its files or pops.toml change on disk.
      fileEvents: vscode.workspace.createFileSystemWatcher("**/{*.pops,pops.toml}"),
    },
  };
}

async function start() {
  const options = serverOptions();
  client = new LanguageClient("promptlang", "Promptlang", options, clientOptions());
  try {
    await client.start();
  } catch (error) {
    vscode.window.showErrorMessage(
      `Could not start the popsc language server (\`${options.command} lsp\`): ${error.message}. ` +
        "Install promptlang or set `promptlang.server.path`."
    );
  }
}

async function stop() {
  if (client) {
    const running = client;
    client = undefined;
    await running.stop().catch(() => undefined);
  }
}

async function restart() {
  await stop();
  await start();
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("promptlang.restartServer", restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("promptlang.server.path")) {
        return restart();
      }
    })
  );
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
