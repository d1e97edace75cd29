#!/usr/bin/env node
// The official @a2a-js/sdk server (JSON-RPC binding at /, HTTP+JSON/REST binding at /rest, protocol 1.0) with an
// agent that behaves like Herald's `chunks` demo agent, so Herald's .NET client is tested against a real peer.
//
// Usage: node server.mjs [PORT] [HOST]      (PORT 0 or missing = a free port; HOST = 127.0.0.1)
// Prints one line "js-sdk listening on http://HOST:PORT" once it accepts connections. Exits on
// SIGINT/SIGTERM (and when its stdin closes, if stdin is a pipe: the parent went away).
//
// The agent: message text "N", "N chunks" or "N delay=MS" (MS = 100 by default) -> a working status,
// then N text chunks "chunk i of N\n" appended to one artifact (artifactId "chunks", append from the
// second chunk on, lastChunk on the last), MS apart, then completed. Anything else is rejected.
// CancelTask stops the loop at once and the task ends canceled. GetExtendedAgentCard answers the card
// named "js-sdk chunks agent (extended)" with one more skill. ListTasks, GetTask and SubscribeToTask are
// the SDK's own (InMemoryTaskStore). No push notifications. SSE frames carry no `id:`.

import express from 'express';
import { randomUUID } from 'node:crypto';
import { fstatSync } from 'node:fs';
import { AGENT_CARD_PATH, Role, TaskState } from '@a2a-js/sdk';
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, restHandler, UserBuilder } from '@a2a-js/sdk/server/express';

const [portArg = '0', host = '127.0.0.1'] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`usage: node server.mjs [PORT] [HOST]  (bad port '${portArg}')`);
  process.exit(2);
}

import { ChunksExecutor, USAGE } from './chunks-agent.mjs';

const agentCard = {
  name: 'js-sdk chunks agent',
  description: 'The @a2a-js/sdk server with an agent like Herald\'s chunks demo agent. ' + USAGE,
  version: '1.0.0',
  // The real URLs are filled in once the port is known. JSON-RPC first: the agent's preference.
  supportedInterfaces: [
    { url: 'http://127.0.0.1/', protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: '' },
    { url: 'http://127.0.0.1/rest', protocolBinding: 'HTTP+JSON', protocolVersion: '1.0', tenant: '' },
  ],
  capabilities: { streaming: true, pushNotifications: false, extendedAgentCard: true },
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain'],
  skills: [{
    id: 'chunks', name: 'Stream chunks', description: USAGE, tags: ['demo', 'streaming'],
    examples: ['20 delay=100', '5 chunks'], inputModes: [], outputModes: [], securityRequirements: [],
  }],
};

// GetExtendedAgentCard: the public card with another name and one more skill (no authentication here).
const extendedAgentCard = () => ({
  ...agentCard,
  name: `${agentCard.name} (extended)`,
  skills: [...agentCard.skills, { ...agentCard.skills[0], id: 'chunks-extended', name: 'Stream chunks (extended card)' }],
});

const requestHandler = new DefaultRequestHandler(
  agentCard, new InMemoryTaskStore(), new ChunksExecutor(), undefined, undefined, undefined, extendedAgentCard);
const app = express();
app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: requestHandler }));
// REST before JSON-RPC: both are mounted on routers, and /rest/... must not reach the JSON-RPC one.
app.use('/rest', restHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication }));
app.use('/', jsonRpcHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication }));

const server = app.listen(port, host, (error) => {
  if (error) fail(error);
  const { port: actual } = server.address();
  agentCard.supportedInterfaces[0].url = `http://${host}:${actual}/`;
  agentCard.supportedInterfaces[1].url = `http://${host}:${actual}/rest`;
  console.log(`js-sdk listening on http://${host}:${actual}`);
});
server.on('error', fail);

function fail(error) {
  console.error(`js-sdk server: ${error?.stack ?? error}`);
  process.exit(1);
}

function stop() {
  // Open SSE streams would keep close() waiting: drop every connection and leave now.
  server.closeAllConnections?.();
  server.close();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// With a piped stdin (as the test fixture starts it), EOF means the parent went away: stop too.
// An inherited terminal or /dev/null is not watched (/dev/null would read EOF at once).
let stdinIsPipe = false;
try {
  stdinIsPipe = fstatSync(0).isFIFO();
} catch {
  // No stdin at all: nothing to watch.
}
if (stdinIsPipe) {
  process.stdin.on('end', stop).on('error', stop).resume();
}
