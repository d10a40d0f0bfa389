#!/bin/sh
# run_sdk.sh PREFLIGHT CONFIG — the official MCP TypeScript SDK drives
# `preflight mcp` (tests/mcp/sdk/sdk_test.mjs). The SDK is installed by
# scripts/tools; without it the test is skipped (exit 77), except in CI,
# where a missing client is a failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null 2>&1 || [ ! -d "$here/sdk/node_modules/@modelcontextprotocol/sdk" ]; then
  echo "skipped: the MCP SDK is not installed (run scripts/tools; it needs the npm registry)"
  [ -n "${CI:-}" ] && exit 1
  exit 77
fi
cd "$here/sdk" && exec node sdk_test.mjs "$1" "$2"
