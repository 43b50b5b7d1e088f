"""The real `popsc lsp` over stdio, driven by pytest-lsp, on the project in `project/`
(opened as editor buffers: the tests never write to it)."""

from __future__ import annotations


import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient
from pytest_lsp import client_capabilities

from lsp_client import PROJECT
from lsp_client import SERVER
from lsp_client import close_all
from lsp_client import record_publications



@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient):
    """One server per test module (starting one costs more than most tests); each test
    closes the buffers it opened (`fresh`), so the next one starts from the files."""
    record_publications(lsp_client)
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=PROJECT.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=PROJECT.as_uri(), name="project")]))
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(autouse=True)
def fresh(request):
    yield
    if "client" in request.fixturenames:
        close_all(request.getfixturevalue("client"))
