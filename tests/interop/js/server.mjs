#!/usr/bin/env node
// The official @a2a-js/sdk 1.x server with an agent that behaves like Herald's `chunks` demo agent,
// so Herald's client and CLI are tested against a real peer. Message text "N [chunks] [delay=MS]":
// a working status, N chunks "chunk i of N\n" appended to the artifact "chunks", MS apart
// (default 100), then completed. CancelTask stops it and ends the task canceled.
//
// Usage: node server.mjs [--port 0] [--host 127.0.0.1]
// Prints "js-sdk listening on http://HOST:PORT" once it accepts connections; exits on SIGINT/SIGTERM.

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
const now = () => new Date().toISOString();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function parse(text) {
  let count = 0;
  let delay = 100;
  for (const token of text.trim().split(/\s+/)) {
    if (token.startsWith('delay=')) delay = Number(token.slice(6));
    else if (/^\d+$/.test(token)) count = Number(token);
  }
  return { count, delay };
}

const textPart = (value) => ({ content: { $case: 'text', value }, mediaType: '', filename: '', metadata: undefined });

class ChunksExecutor {
  #canceled = new Set();

  async execute(requestContext, eventBus) {
    const { taskId, contextId, userMessage } = requestContext;
    const text = userMessage.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');
    const { count, delay } = parse(text);

    if (!requestContext.task) {
      eventBus.publish(AgentEvent.task({
        id: taskId, contextId, history: [userMessage], artifacts: [], metadata: undefined,
        status: { state: TaskState.TASK_STATE_SUBMITTED, timestamp: now() },
      }));
    }

    if (!(count >= 1 && count <= 100000) || !(delay >= 0)) {
      eventBus.publish(AgentEvent.statusUpdate({
        taskId, contextId, metadata: undefined,
        status: {
          state: TaskState.TASK_STATE_REJECTED, timestamp: now(),
          message: { messageId: randomUUID(), role: Role.ROLE_AGENT, parts: [textPart('send "N delay=MS", e.g. "5 delay=100"')] },
        },
      }));
      return;
    }

    eventBus.publish(AgentEvent.statusUpdate({
      taskId, contextId, metadata: undefined,
      status: { state: TaskState.TASK_STATE_WORKING, timestamp: now() },
    }));
    for (let i = 1; i <= count; i++) {
      if (delay > 0) await sleep(delay);
      if (this.#canceled.has(taskId)) return;
      eventBus.publish(AgentEvent.artifactUpdate({
        taskId, contextId, metadata: undefined,
        artifact: { artifactId: 'chunks', name: 'chunks', description: '', parts: [textPart(`chunk ${i} of ${count}\n`)], metadata: undefined, extensions: [] },
        append: i > 1,
        lastChunk: i === count,
      }));
    }

    eventBus.publish(AgentEvent.statusUpdate({
      taskId, contextId, metadata: undefined,
      status: { state: TaskState.TASK_STATE_COMPLETED, timestamp: now() },
    }));
  }

  async cancelTask(taskId, eventBus) {
    this.#canceled.add(taskId);
    eventBus.publish(AgentEvent.statusUpdate({
      taskId, contextId: '', metadata: undefined,
      status: { state: TaskState.TASK_STATE_CANCELED, timestamp: now() },
    }));
  }
}

const agentCard = {
  name: 'js-sdk chunks agent',
  description: '"N delay=MS": N chunks appended to one artifact, MS apart.',
  version: '1.0.0',
  supportedInterfaces: [{ url: 'http://placeholder/', protocolBinding: 'JSONRPC', protocolVersion: '1.0' }],
  capabilities: { streaming: true, pushNotifications: false },
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain'],
  skills: [],
};

const requestHandler = new DefaultRequestHandler(agentCard, new InMemoryTaskStore(), new ChunksExecutor());
const app = express();
app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: requestHandler }));
app.use('/', jsonRpcHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication }));

const server = app.listen(port, host, () => {
  const { port: actual } = server.address();
  agentCard.supportedInterfaces[0].url = `http://${host}:${actual}/`;
  console.log(`js-sdk listening on http://${host}:${actual}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => { server.closeAllConnections?.(); process.exit(0); });
}
