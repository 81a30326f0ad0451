#!/usr/bin/env node
// The grantline command-line client (issue 13). Placeholder until the CLI lands.
console.error('grantline: the command-line client is not built yet')
process.exitCode = 2
