"""The real `popsc lsp` over stdio, driven by pytest-lsp, on the project in `project/`
(opened as editor buffers: the tests never write to it)."""

from __future__ import annotations

import sys

import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig
from pytest_lsp import LanguageClient
from pytest_lsp import client_capabilities

from lsp_client import PROJECT


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "promptlang", "lsp"]))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=PROJECT.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=PROJECT.as_uri(), name="project")]))
    yield
    await lsp_client.shutdown_session()
