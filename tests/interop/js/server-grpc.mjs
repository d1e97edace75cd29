#!/usr/bin/env node
// The official @a2a-js/sdk gRPC server (@a2a-js/sdk/server/grpc on @grpc/grpc-js, protocol 1.0) with the agent of
// chunks-agent.mjs, so Herald's gRPC client is tested against a real peer. Its agent card (served over HTTP by
// express) lists one interface, binding GRPC, as the bare "HOST:GRPCPORT" the SDK's samples write.
//
// Usage: node server-grpc.mjs [PORT] [HOST]   (PORT 0 or missing = a free port for the card; HOST = 127.0.0.1)
// Prints one line "js-sdk-grpc listening on http://HOST:PORT" (the card's base URL) once both the card and the gRPC
// service accept connections. Exits on SIGINT/SIGTERM, and when its stdin closes if stdin is a pipe.

import express from 'express';
import { fstatSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { AGENT_CARD_PATH } from '@a2a-js/sdk';
import { DefaultRequestHandler, InMemoryTaskStore } from '@a2a-js/sdk/server';
import { agentCardHandler, UserBuilder as HttpUserBuilder } from '@a2a-js/sdk/server/express';
import { A2AService, grpcService, UserBuilder } from '@a2a-js/sdk/server/grpc';
import { ChunksExecutor, USAGE } from './chunks-agent.mjs';

const [portArg = '0', host = '127.0.0.1'] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`usage: node server-grpc.mjs [PORT] [HOST]  (bad port '${portArg}')`);
  process.exit(2);
}

const agentCard = {
  name: 'js-sdk grpc chunks agent',
  description: 'The @a2a-js/sdk gRPC server with an agent like Herald\'s chunks demo agent. ' + USAGE,
  version: '1.0.0',
  // The real URL is filled in once the gRPC port is known.
  supportedInterfaces: [{ url: 'http://127.0.0.1:1', protocolBinding: 'GRPC', protocolVersion: '1.0', tenant: '' }],
  capabilities: { streaming: true, pushNotifications: false, extendedAgentCard: true, extensions: [] },
  // The SDK's protobuf writer iterates every repeated and map field of the card it answers GetExtendedAgentCard
  // with: they must be present, if empty.
  securitySchemes: {},
  securityRequirements: [],
  signatures: [],
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain'],
  skills: [{
    id: 'chunks', name: 'Stream chunks', description: USAGE, tags: ['demo', 'streaming'],
    examples: ['20 delay=100', '5 chunks'], inputModes: [], outputModes: [], securityRequirements: [],
  }],
};

const extendedAgentCard = () => ({ ...agentCard, name: `${agentCard.name} (extended)` });

const requestHandler = new DefaultRequestHandler(
  agentCard, new InMemoryTaskStore(), new ChunksExecutor(), undefined, undefined, undefined, extendedAgentCard);

const grpcServer = new grpc.Server();
grpcServer.addService(A2AService, grpcService({ requestHandler, userBuilder: UserBuilder.noAuthentication }));
const grpcPort = await new Promise((resolve, reject) =>
  grpcServer.bindAsync(`${host}:0`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
// As the SDK's own samples list it: the bare "host:port" grpc-js dials.
agentCard.supportedInterfaces[0].url = `${host}:${grpcPort}`;

const app = express();
app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: requestHandler, userBuilder: HttpUserBuilder.noAuthentication }));
const server = app.listen(port, host, (error) => {
  if (error) fail(error);
  const { port: actual } = server.address();
  console.log(`js-sdk-grpc listening on http://${host}:${actual}`);
});
server.on('error', fail);

function fail(error) {
  console.error(`js-sdk grpc server: ${error?.stack ?? error}`);
  process.exit(1);
}

function stop() {
  grpcServer.forceShutdown();
  server.closeAllConnections?.();
  server.close();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
let stdinIsPipe = false;
try {
  stdinIsPipe = fstatSync(0).isFIFO();
} catch {
  // No stdin at all: nothing to watch.
}
if (stdinIsPipe) {
  process.stdin.on('end', stop).on('error', stop).resume();
}
