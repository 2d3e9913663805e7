"""The MCP gateway (F-71, F-72) driven by the official `mcp` Python SDK over Streamable HTTP:
both connection modes of its `Client` (`legacy`: the initialize handshake and a session;
`auto`: `server/discover` first, 2026-07-28 when the server offers it), tools/list and
tools/call with an API key of tenant `acme`, and the 401 without a token.
"""

from __future__ import annotations

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from conftest import Stack, http


def _client(stack: Stack, mode: str, token: str | None, statuses: list[int] | None = None) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http_client = create_mcp_http_client(headers=headers)
    if statuses is not None:
        async def record(response: httpx2.Response) -> None:
            statuses.append(response.status_code)

        http_client.event_hooks["response"] = [record]
    transport = streamable_http_client(f"{stack.url}/t/acme/mcp", http_client=http_client)
    return Client(transport, mode=mode, raise_exceptions=True)


async def _session(stack: Stack, mode: str) -> tuple[str, list[str], str, bool, dict | None]:
    async with _client(stack, mode, stack.key) as client:
        tools = await client.list_tools()
        budget = await client.call_tool("stoa_budget", {})
        text = "".join(getattr(c, "text", "") for c in budget.content)
        return client.protocol_version, [t.name for t in tools.tools], text, budget.is_error, budget.meta


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_mcp_tools(stack: Stack, mode: str):
    version, names, text, is_error, meta = anyio.run(_session, stack, mode)
    # legacy: the initialize handshake and a session; auto: server/discover, then the
    # sessionless 2026-07-28 generation (the server offers it).
    assert version == ("2025-11-25" if mode == "legacy" else "2026-07-28"), version
    assert "stoa_list_apis" in names and "stoa_budget" in names, names
    assert all(not n.startswith("broke__") for n in names), names
    assert is_error is False, text
    assert text, "stoa_budget returned nothing"
    assert meta and isinstance(meta.get("traceId"), str), meta


async def _unauthorized(stack: Stack, mode: str) -> tuple[BaseException, list[int]]:
    statuses: list[int] = []
    try:
        async with _client(stack, mode, None, statuses) as client:
            await client.list_tools()
    except Exception as e:  # noqa: BLE001 - whichever error the SDK raises for it
        return e, statuses
    raise AssertionError("connecting without a token succeeded")


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_mcp_requires_a_token(stack: Stack, mode: str):
    # The SDK (without an OAuth provider) fails the connection; every answer it got was a 401.
    # (mcp 2.3 reports it as MCPError -32603 "Server returned an error response".)
    err, statuses = anyio.run(_unauthorized, stack, mode)
    assert statuses and set(statuses) == {401}, (statuses, repr(err))
    # The challenge names the RFC 9728 document, which lists the tenant's realm.
    status, _, headers = http("POST", f"{stack.url}/t/acme/mcp", {"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert status == 401
    challenge = headers["www-authenticate"]
    # The public URL (STOA_PUBLIC_URL; here derived from STOA_LISTEN=127.0.0.1:0, as for the
    # built-in issuer) prefixes the document's address.
    suffix = '/.well-known/oauth-protected-resource/t/acme/mcp"'
    assert challenge.startswith('Bearer resource_metadata="') and challenge.endswith(suffix), challenge
    public = challenge[len('Bearer resource_metadata="') : -len(suffix)]
    status, doc, _ = http("GET", f"{stack.url}/.well-known/oauth-protected-resource/t/acme/mcp")
    assert status == 200, doc
    assert doc["resource"] == f"{public}/t/acme/mcp", doc
    assert doc["authorization_servers"] == [public], doc
    assert doc["bearer_methods_supported"] == ["header"], doc
