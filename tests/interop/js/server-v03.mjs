#!/usr/bin/env node
// The official @a2a-js/sdk 0.3.x server (installed as the npm alias `a2a-js-sdk-03`; JSON-RPC binding,
// protocol 0.3) with the same `chunks` agent as server.mjs, plus a multi-turn skill, so that Herald's
// client and CLI are tested against a real v0.3-only peer that keeps no event log.
//
// Usage: node server-v03.mjs [PORT] [HOST]   (PORT 0 or missing = a free port; HOST = 127.0.0.1)
// Prints one line "js-sdk-03 listening on http://HOST:PORT" once it accepts connections. Exits on
// SIGINT/SIGTERM, and when its stdin closes if stdin is a pipe (the parent went away).
//
// The agent:
// - "N", "N chunks" or "N delay=MS": a working status, then N chunks "chunk i of N\n" appended to the
//   artifact "chunks" (append from the second, lastChunk on the last), MS apart (100 by default), then
//   completed. tasks/cancel stops the loop and the task ends canceled.
// - "ask": the task stops in input-required asking for a name; the follow-up message (same taskId)
//   completes it with the artifact "greeting" = "hello <text>".
// - anything else: rejected.
// agent/getAuthenticatedExtendedCard answers the card named "js-sdk-03 agent (extended)". SSE frames carry
// no `id:`; tasks/resubscribe to a finished task sends the final task and closes.
//
// The same agent (same tasks) is also served under /no-log/ (card at /no-log/.well-known/agent-card.json),
// where tasks/resubscribe to a finished task answers what other servers without an event log answer (the
// official .NET SDK, for one): a -32004 JSON-RPC error inside the SSE stream. Clients must fall back to
// tasks/get there.

import express from 'express';
import { randomUUID } from 'node:crypto';
import { fstatSync } from 'node:fs';
import { AGENT_CARD_PATH } from 'a2a-js-sdk-03';
import { DefaultRequestHandler, InMemoryTaskStore } from 'a2a-js-sdk-03/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from 'a2a-js-sdk-03/server/express';

const [portArg = '0', host = '127.0.0.1'] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`usage: node server-v03.mjs [PORT] [HOST]  (bad port '${portArg}')`);
  process.exit(2);
}

const MAX_CHUNKS = 100_000;
const MAX_DELAY_MS = 60_000;
const USAGE = `Send 'N' or 'N delay=MS' to stream N chunks MS apart (N 1 to ${MAX_CHUNKS}, MS 0 to ${MAX_DELAY_MS}, 100 by default), or 'ask' for a question.`;
const SYNTAX = /^\s*([0-9]{1,9})(?:\s+chunks?)?(?:\s*[,;]?\s*delay\s*=\s*([0-9]{1,9})\s*(?:ms)?)?\s*$/i;

function parse(text) {
  const match = SYNTAX.exec(text);
  if (!match) return null;
  const count = Number(match[1]);
  const delay = match[2] === undefined ? 100 : Number(match[2]);
  return count >= 1 && count <= MAX_CHUNKS && delay <= MAX_DELAY_MS ? { count, delay } : null;
}

const now = () => new Date().toISOString();
const agentMessage = (taskId, contextId, text) => ({
  kind: 'message', messageId: randomUUID(), role: 'agent', taskId, contextId, parts: [{ kind: 'text', text }],
});
const status = (taskId, contextId, state, text, final) => ({
  kind: 'status-update', taskId, contextId, final,
  status: { state, timestamp: now(), ...(text === undefined ? {} : { message: agentMessage(taskId, contextId, text) }) },
});

function pause(ms, signal) {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

class Executor {
  /** taskId -> { contextId, abort } of the executions still running. */
  #running = new Map();

  async execute(requestContext, eventBus) {
    const { taskId, contextId, userMessage, task } = requestContext;
    const text = userMessage.parts.map((p) => (p.kind === 'text' ? p.text : '')).join('');

    if (task?.status?.state === 'input-required') {
      eventBus.publish({
        kind: 'artifact-update', taskId, contextId, lastChunk: true,
        artifact: { artifactId: 'greeting', name: 'greeting', parts: [{ kind: 'text', text: `hello ${text}` }] },
      });
      eventBus.publish(status(taskId, contextId, 'completed', `hello ${text}`, true));
      eventBus.finished();
      return;
    }

    if (!task) {
      eventBus.publish({ kind: 'task', id: taskId, contextId, history: [userMessage], artifacts: [], status: { state: 'submitted', timestamp: now() } });
    }

    if (text.trim() === 'ask') {
      eventBus.publish(status(taskId, contextId, 'input-required', 'What is your name?', true));
      eventBus.finished();
      return;
    }

    const request = parse(text);
    if (!request) {
      eventBus.publish(status(taskId, contextId, 'rejected', USAGE, true));
      eventBus.finished();
      return;
    }

    const { count, delay } = request;
    const abort = new AbortController();
    this.#running.set(taskId, { contextId, abort });
    try {
      eventBus.publish(status(taskId, contextId, 'working', `streaming ${count} chunks`, false));
      for (let i = 1; i <= count; i++) {
        if (i > 1) await pause(delay, abort.signal);
        if (abort.signal.aborted) return; // cancelTask published the canceled status
        eventBus.publish({
          kind: 'artifact-update', taskId, contextId, append: i > 1, lastChunk: i === count,
          artifact: { artifactId: 'chunks', name: 'chunks', parts: [{ kind: 'text', text: `chunk ${i} of ${count}\n` }] },
        });
      }

      eventBus.publish(status(taskId, contextId, 'completed', undefined, true));
      eventBus.finished();
    } finally {
      this.#running.delete(taskId);
    }
  }

  async cancelTask(taskId, eventBus) {
    const running = this.#running.get(taskId);
    running?.abort.abort();
    eventBus.publish(status(taskId, running?.contextId ?? '', 'canceled', 'canceled', true));
    eventBus.finished();
  }
}

const agentCard = {
  protocolVersion: '0.3.0',
  name: 'js-sdk-03 agent',
  description: 'The @a2a-js/sdk 0.3 server with a chunks agent and a multi-turn skill. ' + USAGE,
  version: '1.0.0',
  // The real URL is filled in once the port is known.
  url: 'http://127.0.0.1/',
  preferredTransport: 'JSONRPC',
  additionalInterfaces: [],
  capabilities: { streaming: true, pushNotifications: false, stateTransitionHistory: false },
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain'],
  skills: [
    { id: 'chunks', name: 'Stream chunks', description: USAGE, tags: ['demo', 'streaming'], examples: ['20 delay=100'] },
    { id: 'ask', name: 'Ask for a name', description: "'ask', then answer", tags: ['multi-turn'] },
  ],
  supportsAuthenticatedExtendedCard: true,
};

const extendedAgentCard = () => ({ ...agentCard, name: `${agentCard.name} (extended)` });

const taskStore = new InMemoryTaskStore();
const requestHandler = new DefaultRequestHandler(
  agentCard, taskStore, new Executor(), undefined, undefined, undefined, extendedAgentCard);
const rpc = jsonRpcHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication });
const TERMINAL = new Set(['completed', 'canceled', 'failed', 'rejected']);

const app = express();
app.use(`/no-log/${AGENT_CARD_PATH}`, agentCardHandler({
  agentCardProvider: async () => ({ ...agentCard, url: `${agentCard.url}no-log/`, additionalInterfaces: [{ url: `${agentCard.url}no-log/`, transport: 'JSONRPC' }] }),
}));
app.use('/no-log', express.json({ limit: '4mb' }), async (req, res, next) => {
  const body = req.body;
  if (req.method !== 'POST' || body?.method !== 'tasks/resubscribe') return next();
  const task = await taskStore.load(body.params?.id);
  if (!task || !TERMINAL.has(task.status.state)) return next();
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  const error = { code: -32004, message: `Task ${task.id} is in a terminal state (${task.status.state}); this server keeps no event log to resume from` };
  res.end(`data: ${JSON.stringify({ jsonrpc: '2.0', id: body.id ?? null, error })}\n\n`);
}, rpc);
app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: requestHandler }));
app.use('/', rpc);

const server = app.listen(port, host, (error) => {
  if (error) fail(error);
  const { port: actual } = server.address();
  agentCard.url = `http://${host}:${actual}/`;
  agentCard.additionalInterfaces = [{ url: agentCard.url, transport: 'JSONRPC' }];
  console.log(`js-sdk-03 listening on http://${host}:${actual}`);
});
server.on('error', fail);

function fail(error) {
  console.error(`js-sdk-03 server: ${error?.stack ?? error}`);
  process.exit(1);
}

function stop() {
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
