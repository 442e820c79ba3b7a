"""The MCP server driven by a real MCP client: the official TypeScript SDK (tests/mcp).

Builds a small mirror with the real ingest against the fake server, then runs node's test
runner on tests/mcp/*.test.mjs, which connects over stdio, lists the tools, calls each one
and validates every structuredContent against its outputSchema (ajv). `make test` installs
Node and npm from Debian when missing and runs `npm ci` in tests/mcp when node_modules is
missing or older than package-lock.json.
"""
import os
import shutil
import subprocess

import pytest

from conftest import BIN, ROOT, ingested_mirror

MCP_TESTS = ROOT / "tests" / "mcp"


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    return ingested_mirror(tmp_path_factory.mktemp("mcp-sdk"), calls=120, seed=3)


def test_the_sdk_client_lists_and_calls_every_tool(mirror):
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed (make test installs it)")
    assert (MCP_TESTS / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir(), \
        "tests/mcp/node_modules is missing: run `make npm-deps` or `npm ci` in tests/mcp"
    env = {**os.environ, "CALLMINE_MCP_DB": str(mirror), "CALLMINE_BIN": str(BIN)}
    p = subprocess.run([node, "--test"], cwd=MCP_TESTS, env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-6000:] + p.stderr[-2000:]
    assert "# fail 0" in p.stdout and "# pass " in p.stdout
