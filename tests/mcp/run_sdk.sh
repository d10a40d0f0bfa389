#!/bin/sh
# run_sdk.sh PREFLIGHT CONFIG — the official MCP TypeScript SDK drives
# `preflight mcp` (tests/tools/mcp_sdk_test.mjs). The SDK is one of the
# test tools scripts/tools installs; without them the test is skipped
# (exit 77) with the reason scripts/tools recorded.
set -u
tools=$(cd "$(dirname "$0")/../tools" && pwd)
if ! command -v node >/dev/null 2>&1 || [ ! -d "$tools/node_modules/@modelcontextprotocol/sdk" ]; then
  reason="the test tools are not installed: run scripts/tools"
  [ -f "$tools/node_modules/.unavailable" ] && reason=$(cat "$tools/node_modules/.unavailable")
  echo "skipped: $reason"
  exit 77
fi
cd "$tools" && exec node mcp_sdk_test.mjs "$1" "$2"
