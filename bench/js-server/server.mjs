#!/usr/bin/env node
// The @a2a-js/sdk 1.3.0 server the load generator measures Herald against: the SDK's own
// DefaultRequestHandler + InMemoryTaskStore + express JSON-RPC handler, with an agent that behaves
// like Herald's bench agent. Message text "N delay=MS start=MS": a working status, an optional start
// delay, N chunks appended to one artifact (the i-th due at start + i*delay, each with its send time
// in artifact.metadata.benchTsUs, microseconds of the monotonic clock), then completed.
//
// Usage: node server.mjs [--port 0] [--host 127.0.0.1]
// Prints "JS SDK server listening on http://HOST:PORT (pid P)" once it accepts connections.

import express from 'express';
import { randomUUID } from 'node:crypto';
import { AGENT_CARD_PATH, Role, TaskState } from '@a2a-js/sdk';
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const host = option('host', '127.0.0.1');
const port = Number(option('port', '0'));

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function parseCommand(text) {
  let count = 10, delay = 0, start = 0;
  for (const token of text.split(' ').filter(Boolean)) {
    if (token.startsWith('delay=')) delay = Number(token.slice(6));
    else if (token.startsWith('start=')) start = Number(token.slice(6));
    else if (/^\d+$/.test(token)) count = Number(token);
  }
  return { count, delay, start };
}

const chunkText = (i) => `chunk ${String(i).padStart(6, '0')} `;
const timestamp = () => new Date().toISOString();

class ChunksBenchExecutor {
  #canceled = new Set();

  async execute(requestContext, eventBus) {
    const { taskId, contextId, userMessage } = requestContext;
    const text = userMessage.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');
    const { count, delay, start } = parseCommand(text);

    if (!requestContext.task) {
      eventBus.publish(AgentEvent.task({
        id: taskId,
        contextId,
        status: { state: TaskState.TASK_STATE_SUBMITTED, timestamp: timestamp() },
        history: [userMessage],
        artifacts: [],
        metadata: undefined,
      }));
    }
    eventBus.publish(AgentEvent.statusUpdate({
      taskId,
      contextId,
      status: { state: TaskState.TASK_STATE_WORKING, timestamp: timestamp() },
      metadata: undefined,
    }));
    if (start > 0) await sleep(start);

    const origin = performance.now();
    for (let i = 1; i <= count; i++) {
      if (this.#canceled.has(taskId)) return;
      if (delay > 0) {
        const wait = origin + i * delay - performance.now();
        if (wait >= 1) await sleep(wait);
      }
      eventBus.publish(AgentEvent.artifactUpdate({
        taskId,
        contextId,
        artifact: {
          artifactId: 'chunks',
          name: '',
          description: '',
          parts: [{ content: { $case: 'text', value: chunkText(i) }, mediaType: '', filename: '', metadata: undefined }],
          metadata: { benchTsUs: nowUs() },
          extensions: [],
        },
        append: i > 1,
        lastChunk: i === count,
        metadata: undefined,
      }));
      // delay=0 is a tight loop, as in the .NET agents; yield now and then so the event loop can
      // deliver what was published (the SDK's queue is unbounded, so nothing is dropped).
      if (delay === 0 && i % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    }

    eventBus.publish(AgentEvent.statusUpdate({
      taskId,
      contextId,
      status: { state: TaskState.TASK_STATE_COMPLETED, timestamp: timestamp() },
      metadata: undefined,
    }));
  }

  async cancelTask(taskId, eventBus) {
    this.#canceled.add(taskId);
    eventBus.publish(AgentEvent.statusUpdate({
      taskId,
      contextId: '',
      status: {
        state: TaskState.TASK_STATE_CANCELED,
        timestamp: timestamp(),
        message: { messageId: randomUUID(), role: Role.ROLE_AGENT, parts: [{ content: { $case: 'text', value: 'canceled' } }] },
      },
      metadata: undefined,
    }));
  }
}

const agentCard = {
  name: 'JS SDK bench agent',
  description: '"N delay=MS start=MS": N chunks appended to one artifact, MS apart, after a start delay.',
  version: '1.0.0',
  supportedInterfaces: [{ url: 'http://placeholder/', protocolBinding: 'JSONRPC', protocolVersion: '1.0' }],
  capabilities: { streaming: true, pushNotifications: false },
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain'],
  skills: [],
};

const requestHandler = new DefaultRequestHandler(agentCard, new InMemoryTaskStore(), new ChunksBenchExecutor());
const app = express();
app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: requestHandler }));
app.use('/', jsonRpcHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication }));

const server = app.listen(port, host, () => {
  const { port: actual } = server.address();
  agentCard.supportedInterfaces[0].url = `http://${host}:${actual}/`;
  console.log(`JS SDK server listening on http://${host}:${actual} (pid ${process.pid})`);
});
// Idle SSE streams must not be cut by Node's default timeouts while the load generator holds them.
server.requestTimeout = 0;
server.headersTimeout = 60_000;
server.keepAliveTimeout = 60_000;
// If the process ends on its own during a run, say why (run.sh records the exit status too).
process.on('exit', (code) => console.error(`JS SDK server exiting with code ${code}`));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => { server.closeAllConnections?.(); process.exit(0); });
}
