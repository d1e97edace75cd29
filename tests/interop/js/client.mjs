#!/usr/bin/env node
// Herald interop driver: exercises an A2A v1.0 server with the official @a2a-js/sdk client.
//
// Usage: node client.mjs <baseUrl> <scenario> [transport]
//   baseUrl   server root; the agent card is read from <baseUrl>/.well-known/agent-card.json
//   scenario  send | stream | get | list | cancel | subscribe | multiturn | errors
//   transport optional preferred binding, default "JSONRPC" (the SDK also speaks "HTTP+JSON", and "GRPC" through
//             @a2a-js/sdk/client/grpc, loaded only for it)
//
// Environment:
//   INTEROP_TIMEOUT_MS  per-call timeout (default 20000); a global watchdog fires at 3x that
//   INTEROP_TRACE=1     log every HTTP exchange the SDK makes (method, url, headers, body) to stderr
//   INTEROP_BEARER_TOKEN  a token the A2A calls carry as 'Authorization: Bearer', through the SDK's own
//                       createAuthenticatingFetchWithRetry (the agent card is fetched without it, as the SDK does)
//
// Output: exactly one JSON object on the last stdout line; exit code 0 when the scenario ran
// (assertions happen on the .NET side). Unexpected exceptions: message on stderr, exit code 1.
// Usage errors: exit code 2. Watchdog timeout: exit code 124.

import { randomUUID } from 'node:crypto';
import { Role, TaskState } from '@a2a-js/sdk';
import {
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
  createAuthenticatingFetchWithRetry,
  RestTransportFactory,
} from '@a2a-js/sdk/client';

const SCENARIOS = ['send', 'stream', 'get', 'list', 'cancel', 'subscribe', 'multiturn', 'errors'];
const [baseUrl, scenario, transport = 'JSONRPC'] = process.argv.slice(2);
if (!baseUrl || !SCENARIOS.includes(scenario)) {
  process.stderr.write(`usage: node client.mjs <baseUrl> <${SCENARIOS.join('|')}> [JSONRPC|HTTP+JSON|GRPC]\n`);
  process.exit(2);
}

const TIMEOUT_MS = Number(process.env.INTEROP_TIMEOUT_MS ?? 20000);
const TRACE = process.env.INTEROP_TRACE === '1';

// Global watchdog: the script must never hang, whatever the server does.
const watchdog = setTimeout(() => {
  process.stderr.write(`client.mjs: watchdog fired after ${TIMEOUT_MS * 3} ms (scenario ${scenario})\n`);
  process.exit(124);
}, TIMEOUT_MS * 3);

const signal = () => AbortSignal.timeout(TIMEOUT_MS);
const opts = () => ({ signal: signal() });

// fetch wrapper: adds a timeout when the SDK passes none (agent card fetch) and optionally traces.
async function fetchImpl(input, init = {}) {
  const req = { ...init, signal: init.signal ?? signal() };
  if (TRACE) {
    process.stderr.write(`[http] --> ${req.method ?? 'GET'} ${input} headers=${JSON.stringify(req.headers ?? {})}${req.body ? ` body=${req.body}` : ''}\n`);
  }
  const res = await fetch(input, req);
  if (TRACE) {
    process.stderr.write(`[http] <-- ${res.status} content-type=${res.headers.get('content-type')}\n`);
  }
  return res;
}

// ---------- helpers ----------

const stateName = (s) => (s === undefined || s === null ? null : (TaskState[s] ?? `UNKNOWN(${s})`));

function userMessage(text, { contextId = '', taskId = '' } = {}) {
  return {
    messageId: randomUUID(),
    contextId,
    taskId,
    role: Role.ROLE_USER,
    parts: [{ content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: '' }],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

function sendParams(text, { returnImmediately, contextId } = {}) {
  const params = { tenant: '', message: userMessage(text, { contextId }), metadata: undefined };
  if (returnImmediately !== undefined) {
    params.configuration = { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately };
  }
  return params;
}

const partsText = (parts) =>
  (parts ?? []).map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');

const artifactsText = (artifacts) => (artifacts ?? []).map((a) => partsText(a.parts)).join('');

// The SDK itself discriminates SendMessage results this way (Client.sendMessageStream fallback).
const isMessage = (r) => r && typeof r === 'object' && 'messageId' in r;

function describeError(err) {
  // JSON-RPC transport: JsonRpc<Name> classes / JsonRpcTransportError carry `envelopeCode`.
  // REST transport: Rest<Name> classes carry `statusCode` (HTTP status) and `reason`.
  // Errors inside an SSE stream (JSON-RPC) are a plain Error whose `cause` is the typed error.
  // gRPC transport: Grpc<Name> classes (and A2AError for other statuses) carry `status`, the gRPC status code.
  const typed = err?.envelopeCode !== undefined || err?.statusCode !== undefined || err?.transport === 'grpc' ? err : err?.cause ?? err;
  return {
    code: typed?.envelopeCode ?? typed?.statusCode ?? typed?.status ?? null,
    name: typed?.name ?? null,
    reason: typed?.reason ?? null,
    message: String(err?.message ?? err),
  };
}

// Tracks artifact text across a stream: a Task snapshot resets, append=false replaces, append=true appends.
class ArtifactAccumulator {
  constructor() { this.byId = new Map(); }
  fromTask(task) {
    this.byId = new Map();
    for (const a of task.artifacts ?? []) this.byId.set(a.artifactId, partsText(a.parts));
  }
  update(ev) {
    const a = ev.artifact;
    if (!a) return;
    const prev = this.byId.get(a.artifactId) ?? '';
    this.byId.set(a.artifactId, ev.append ? prev + partsText(a.parts) : partsText(a.parts));
  }
  get text() { return [...this.byId.values()].join(''); }
  get count() { return this.byId.size; }
}

// Consumes an SDK stream (AsyncGenerator<StreamResponse>) until the server closes it.
async function collect(stream) {
  const events = [];
  const acc = new ArtifactAccumulator();
  let taskId = null;
  let contextId = null;
  let finalState = null;
  let error = null;
  try {
    for await (const ev of stream) {
      const kind = ev.payload?.$case ?? 'unknown';
      const v = ev.payload?.value;
      const out = { kind };
      switch (kind) {
        case 'task':
          taskId ??= v.id;
          contextId ??= v.contextId || null;
          out.state = finalState = stateName(v.status?.state);
          out.artifactCount = v.artifacts?.length ?? 0;
          acc.fromTask(v);
          break;
        case 'statusUpdate':
          taskId ??= v.taskId;
          contextId ??= v.contextId || null;
          out.state = finalState = stateName(v.status?.state);
          out.text = partsText(v.status?.message?.parts);
          break;
        case 'artifactUpdate':
          taskId ??= v.taskId;
          out.artifactId = v.artifact?.artifactId ?? null;
          out.append = v.append;
          out.lastChunk = v.lastChunk;
          out.text = partsText(v.artifact?.parts);
          acc.update(v);
          break;
        case 'message':
          taskId ??= v.taskId || null;
          out.text = partsText(v.parts);
          break;
      }
      events.push(out);
    }
  } catch (err) {
    // A stream that errors (JSON-RPC error event, abort/timeout, bad framing) is an observed result.
    error = describeError(err);
  }
  return { events, taskId, contextId, finalState, text: acc.text, error };
}

// ---------- scenarios ----------

const scenarios = {
  async send(client) {
    const r = await client.sendMessage(sendParams('3 delay=0'), opts());
    if (isMessage(r)) {
      return { kind: 'message', taskId: r.taskId || null, state: null, artifactText: partsText(r.parts), artifactCount: 0 };
    }
    return {
      kind: 'task',
      taskId: r.id,
      contextId: r.contextId,
      state: stateName(r.status?.state),
      artifactText: artifactsText(r.artifacts),
      artifactCount: r.artifacts?.length ?? 0,
    };
  },

  async stream(client) {
    const res = await collect(client.sendMessageStream(sendParams('5 delay=10'), opts()));
    return { events: res.events, taskId: res.taskId, finalState: res.finalState, artifactText: res.text, error: res.error };
  },

  async get(client) {
    const sent = await client.sendMessage(sendParams('2 delay=0', { returnImmediately: false }), opts());
    if (isMessage(sent)) throw new Error('get: SendMessage returned a Message, expected a Task');
    const t = await client.getTask({ tenant: '', id: sent.id }, opts());
    return {
      taskId: t.id,
      sentTaskId: sent.id,
      sendState: stateName(sent.status?.state),
      state: stateName(t.status?.state),
      artifactText: artifactsText(t.artifacts),
      artifactCount: t.artifacts?.length ?? 0,
    };
  },

  async list(client) {
    // Both tasks share one context, and ListTasks filters on it, so other tasks on a shared
    // server cannot leak into the pages.
    const first = await client.sendMessage(sendParams('1 delay=0'), opts());
    if (isMessage(first)) throw new Error('list: SendMessage returned a Message, expected a Task');
    const contextId = first.contextId;
    const second = await client.sendMessage(sendParams('1 delay=0', { contextId }), opts());
    if (isMessage(second)) throw new Error('list: SendMessage returned a Message, expected a Task');

    const pages = [];
    let pageToken = '';
    for (let i = 0; i < 10; i++) {
      const page = await client.listTasks(
        { tenant: '', contextId, status: TaskState.TASK_STATE_UNSPECIFIED, pageSize: 1, pageToken },
        opts(),
      );
      pages.push({
        taskIds: page.tasks.map((t) => t.id),
        states: page.tasks.map((t) => stateName(t.status?.state)),
        nextPageToken: page.nextPageToken,
        pageSize: page.pageSize,
        totalSize: page.totalSize,
      });
      if (!page.nextPageToken) break;
      pageToken = page.nextPageToken;
    }
    return { contextId, sentTaskIds: [first.id, second.id], pages };
  },

  async cancel(client) {
    const sent = await client.sendMessage(sendParams('100 delay=100', { returnImmediately: true }), opts());
    if (isMessage(sent)) throw new Error('cancel: SendMessage returned a Message, expected a Task');
    const canceled = await client.cancelTask({ tenant: '', id: sent.id, metadata: undefined }, opts());
    const out = {
      taskId: sent.id,
      sendState: stateName(sent.status?.state),
      stateAfterCancel: stateName(canceled.status?.state),
      secondCancelErrorCode: null,
      secondCancelErrorName: null,
      secondCancelErrorMessage: null,
      secondCancelState: null,
    };
    try {
      const again = await client.cancelTask({ tenant: '', id: sent.id, metadata: undefined }, opts());
      out.secondCancelState = stateName(again.status?.state);
    } catch (err) {
      const e = describeError(err);
      out.secondCancelErrorCode = e.code;
      out.secondCancelErrorName = e.name;
      out.secondCancelErrorMessage = e.message;
    }
    return out;
  },

  async subscribe(client) {
    const sent = await client.sendMessage(sendParams('20 delay=50', { returnImmediately: true }), opts());
    if (isMessage(sent)) throw new Error('subscribe: SendMessage returned a Message, expected a Task');
    const res = await collect(client.resubscribeTask({ tenant: '', id: sent.id }, opts()));
    return {
      taskId: sent.id,
      sendState: stateName(sent.status?.state),
      firstKind: res.events[0]?.kind ?? null,
      events: res.events.length,
      kinds: res.events.map((e) => e.kind),
      finalState: res.finalState,
      text: res.text,
      error: res.error,
    };
  },

  // A conversation: "ask" pauses the task in input-required with a question; the answer, sent as a new message
  // with the task's id, resumes the same task, which completes with the greeting.
  async multiturn(client) {
    const asked = await collect(client.sendMessageStream({ tenant: '', message: userMessage('ask'), metadata: undefined }, opts()));
    const last = asked.events[asked.events.length - 1] ?? {};
    const answer = userMessage('Ada', { taskId: asked.taskId ?? '', contextId: asked.contextId ?? '' });
    const answered = await collect(client.sendMessageStream({ tenant: '', message: answer, metadata: undefined }, opts()));
    const task = await client.getTask({ tenant: '', id: asked.taskId }, opts());
    return {
      taskId: asked.taskId,
      askedKinds: asked.events.map((e) => e.kind),
      askedState: asked.finalState,
      prompt: last.text ?? null,
      answeredTaskId: answered.taskId,
      answeredContextId: answered.contextId,
      contextId: asked.contextId,
      answeredState: answered.finalState,
      greeting: answered.text,
      taskState: stateName(task.status?.state),
      history: (task.history ?? []).map((m) => `${m.role === Role.ROLE_USER ? 'user' : 'agent'}: ${partsText(m.parts)}`),
      error: asked.error ?? answered.error,
    };
  },

  async errors(client) {
    try {
      const t = await client.getTask({ tenant: '', id: 'does-not-exist' }, opts());
      return { code: null, name: null, unexpectedTaskId: t.id };
    } catch (err) {
      return describeError(err);
    }
  },
};

// ---------- main ----------

// The SDK's own gRPC transport, unwrapped: it hands the card's interface URL to @grpc/grpc-js as the target, so
// the card must list gRPC as "host:port" (an http:// URL fails name resolution), as Herald's card does.
async function grpcTransportFactory() {
  const { GrpcTransportFactory } = await import('@a2a-js/sdk/client/grpc');
  return new GrpcTransportFactory();
}

async function main() {
  const token = process.env.INTEROP_BEARER_TOKEN;
  const callFetch = token
    ? createAuthenticatingFetchWithRetry(fetchImpl, {
        headers: async () => ({ Authorization: `Bearer ${token}` }),
        shouldRetryWithHeaders: async () => undefined, // one static token: nothing to refresh
      })
    : fetchImpl;
  const transports = [new JsonRpcTransportFactory({ fetchImpl: callFetch }), new RestTransportFactory({ fetchImpl: callFetch })];
  if (transport === 'GRPC') transports.push(await grpcTransportFactory());
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports,
      cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
      preferredTransports: [transport],
    }),
  );
  // SDK-recommended path: resolve <baseUrl>/.well-known/agent-card.json, pick the transport from
  // supportedInterfaces. Note: the card path is resolved relative to baseUrl (new URL(path, base)),
  // so the base needs a trailing slash if it has a path component.
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const client = await factory.createFromUrl(base);
  const result = await scenarios[scenario](client);
  return { scenario, transport: client.transport?.protocolName ?? null, protocolVersion: client.protocolVersion, ...result };
}

main().then(
  (result) => {
    clearTimeout(watchdog);
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
  },
  (err) => {
    clearTimeout(watchdog);
    const cause = err?.cause ? ` (cause: ${err.cause?.message ?? err.cause})` : '';
    process.stderr.write(`client.mjs: ${scenario} failed: ${err?.stack ?? err}${cause}\n`);
    process.exit(1);
  },
);
