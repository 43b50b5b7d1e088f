"""A client that counts columns in UTF-8 bytes (and says so) gets its columns in bytes."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from lsp_client import SERVER
from lsp_client import PROJECT
from lsp_client import open_doc
from lsp_client import record_publications
from lsp_client import text

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient):
    record_publications(lsp_client)
    capabilities = lsp.ClientCapabilities(general=lsp.GeneralClientCapabilities(
        position_encodings=[lsp.PositionEncodingKind.Utf8]))
    result = await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=capabilities, root_uri=PROJECT.as_uri()))
    assert result.capabilities.position_encoding == lsp.PositionEncodingKind.Utf8
    yield
    await lsp_client.shutdown_session()


async def test_columns_count_utf8_bytes_when_negotiated(client):
    body = text("shop/prompts.pops").replace("{{ ticket.body }}", "🎫é {{ ticket.bdy }}")
    found = await open_doc(client, "shop/prompts.pops", body)
    line = body.splitlines()[found[0].range.start.line]
    assert found[0].range.start.character == len(line[:line.index("bdy")].encode("utf-8"))
