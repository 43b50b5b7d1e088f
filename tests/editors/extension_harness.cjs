// Runs editors/vscode/extension.js outside VS Code, with stand-ins for the `vscode` API
// and `vscode-languageclient/node` that record what the extension asks of them, then
// prints the record as JSON for tests/editors/test_vscode_extension.py.
// Usage: node extension_harness.cjs <extension.js> <promptlang.server.path> [failing command]
"use strict";

const Module = require("node:module");

const [extensionPath, serverPath, failingCommand] = process.argv.slice(2);
const settings = { "server.path": serverPath };
const record = [];
const commands = {};
const configListeners = [];
const disposable = { dispose() {} };

const vscode = {
  workspace: {
    getConfiguration: (section) => ({ get: (key) => settings[key], section }),
    createFileSystemWatcher: (glob) => ({ glob }),
    onDidChangeConfiguration: (listener) => (configListeners.push(listener), disposable),
  },
  window: { showErrorMessage: (message) => record.push(["error", message]) },
  commands: { registerCommand: (name, run) => ((commands[name] = run), disposable) },
};

class LanguageClient {
  constructor(id, name, server, client) {
    this.command = server.command;
    record.push(["client", { id, name, server, selector: client.documentSelector,
                             watch: client.synchronize.fileEvents.glob }]);
  }
  start() {
    record.push(["start", this.command]);
    return this.command === failingCommand
      ? Promise.reject(new Error(`spawn ${this.command} ENOENT`))
      : Promise.resolve();
  }
  stop() {
    record.push(["stop", this.command]);
    return Promise.resolve();
  }
}

const stubs = {
  vscode,
  "vscode-languageclient/node": { LanguageClient, TransportKind: { stdio: 0, ipc: 1, pipe: 2 } },
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return Object.hasOwn(stubs, request) ? stubs[request] : load.call(this, request, ...rest);
};

(async () => {
  const extension = require(extensionPath);
  const context = { subscriptions: [] };
  await extension.activate(context);
  record.push(["-- setting changed"]);
  settings["server.path"] = "/opt/venv/bin/popsc";
  const event = { affectsConfiguration: (key) => key === "promptlang.server.path" };
  await Promise.all(configListeners.map((listener) => listener(event)));
  record.push(["-- restart command"]);
  await commands["promptlang.restartServer"]();
  record.push(["-- deactivate"]);
  await extension.deactivate();
  const result = { record, commands: Object.keys(commands), subscriptions: context.subscriptions.length };
  process.stdout.write(JSON.stringify(result));
})();
