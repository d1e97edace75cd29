#!/usr/bin/env node
// Herald interop driver: exercises an A2A server with the official @a2a-js/sdk 0.3.x client (installed as the
// npm alias `a2a-js-sdk-03`), which speaks A2A v0.3 JSON-RPC (message/send, message/stream, tasks/get,
// tasks/cancel, tasks/resubscribe) and sends no A2A-Version header.
//
// Usage: node client-v03.mjs <baseUrl> <scenario>
//   baseUrl   server root; the agent card is read from <baseUrl>/.well-known/agent-card.json
//   scenario  card | stream | get | cancel | resubscribe | resume | multiturn | errors
//
// The agent is Herald's `chunks` demo agent: "N delay=MS" streams N chunks, "ask" asks for a name.
//
// Environment:
//   INTEROP_TIMEOUT_MS  per-call timeout (default 20000); a global watchdog fires at 3x that
//   INTEROP_TRACE=1     log every HTTP exchange the SDK makes to stderr
//
// Output: exactly one JSON object on the last stdout line; exit code 0 when the scenario ran (assertions are on
// the .NET side). Unexpected exceptions: message on stderr, exit code 1. Usage errors: 2. Watchdog: 124.

import { randomUUID } from 'node:crypto';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from 'a2a-js-sdk-03/client';

const SCENARIOS = ['card', 'stream', 'get', 'cancel', 'resubscribe', 'resume', 'multiturn', 'errors'];
const [baseUrl, scenario] = process.argv.slice(2);
if (!baseUrl || !SCENARIOS.includes(scenario)) {
  process.stderr.write(`usage: node client-v03.mjs <baseUrl> <${SCENARIOS.join('|')}>\n`);
  process.exit(2);
}

const TIMEOUT_MS = Number(process.env.INTEROP_TIMEOUT_MS ?? 20000);
const TRACE = process.env.INTEROP_TRACE === '1';
const watchdog = setTimeout(() => {
  process.stderr.write(`client-v03.mjs: watchdog fired after ${TIMEOUT_MS * 3} ms (scenario ${scenario})\n`);
  process.exit(124);
}, TIMEOUT_MS * 3);

const signal = () => AbortSignal.timeout(TIMEOUT_MS);
const opts = (extra = {}) => ({ signal: signal(), ...extra });

// The SSE `id:` of the last event of each streamed response, read from the bytes as they pass: the SDK itself
// ignores ids, and the `resume` scenario needs the last one to send as Last-Event-ID.
const streamIds = [];

async function fetchImpl(input, init = {}) {
  const req = { ...init, signal: init.signal ?? signal() };
  if (TRACE) {
    process.stderr.write(`[http] --> ${req.method ?? 'GET'} ${input} headers=${JSON.stringify(req.headers ?? {})}${req.body ? ` body=${req.body}` : ''}\n`);
  }
  const res = await fetch(input, req);
  if (TRACE) process.stderr.write(`[http] <-- ${res.status} content-type=${res.headers.get('content-type')}\n`);
  if (!res.body || !res.headers.get('content-type')?.startsWith('text/event-stream')) return res;
  const ids = [];
  streamIds.push(ids);
  let pending = '';
  const decoder = new TextDecoder();
  const tee = new TransformStream({
    transform(chunk, controller) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) if (line.startsWith('id:')) ids.push(line.slice(3).trim());
      controller.enqueue(chunk);
    },
  });
  return new Response(res.body.pipeThrough(tee), { status: res.status, statusText: res.statusText, headers: res.headers });
}

// ---------- helpers ----------

function userMessage(text, { taskId, contextId } = {}) {
  return {
    kind: 'message',
    messageId: randomUUID(),
    role: 'user',
    parts: [{ kind: 'text', text }],
    ...(taskId ? { taskId } : {}),
    ...(contextId ? { contextId } : {}),
  };
}

const partsText = (parts) => (parts ?? []).map((p) => (p.kind === 'text' ? p.text : '')).join('');
const artifactsText = (artifacts) => (artifacts ?? []).map((a) => partsText(a.parts)).join('');

function describeError(err) {
  // JSON-RPC errors are typed (TaskNotFoundJSONRPCError, ...) and keep the envelope in `errorResponse`; errors
  // inside an SSE stream are a plain Error whose `cause` is the typed error.
  const typed = err?.errorResponse ? err : err?.cause?.errorResponse ? err.cause : err;
  return {
    code: typed?.errorResponse?.error?.code ?? null,
    name: typed?.constructor?.name ?? null,
    message: String(err?.message ?? err),
  };
}

// Tracks artifact text across a stream: a task resets, append=false replaces, append=true appends.
class ArtifactAccumulator {
  constructor() { this.byId = new Map(); }
  fromTask(task) {
    this.byId = new Map();
    for (const a of task.artifacts ?? []) this.byId.set(a.artifactId, partsText(a.parts));
  }
  update(ev) {
    const prev = this.byId.get(ev.artifact.artifactId) ?? '';
    this.byId.set(ev.artifact.artifactId, ev.append ? prev + partsText(ev.artifact.parts) : partsText(ev.artifact.parts));
  }
  get text() { return [...this.byId.values()].join(''); }
}

// Consumes an SDK stream until the server closes it (or `stopAfter` events, then aborts the request).
async function collect(stream, { stopAfter, abort, accumulator = new ArtifactAccumulator() } = {}) {
  const events = [];
  let taskId = null;
  let contextId = null;
  let finalState = null;
  let error = null;
  try {
    for await (const ev of stream) {
      const out = { kind: ev.kind };
      switch (ev.kind) {
        case 'task':
          taskId ??= ev.id;
          contextId ??= ev.contextId;
          out.state = finalState = ev.status?.state ?? null;
          accumulator.fromTask(ev);
          break;
        case 'status-update':
          taskId ??= ev.taskId;
          contextId ??= ev.contextId;
          out.state = finalState = ev.status?.state ?? null;
          out.final = ev.final;
          out.text = partsText(ev.status?.message?.parts);
          break;
        case 'artifact-update':
          taskId ??= ev.taskId;
          out.append = ev.append ?? null;
          out.lastChunk = ev.lastChunk ?? null;
          out.text = partsText(ev.artifact?.parts);
          accumulator.update(ev);
          break;
        case 'message':
          out.text = partsText(ev.parts);
          break;
      }
      events.push(out);
      if (stopAfter !== undefined && events.length >= stopAfter) {
        abort?.abort();
        break;
      }
    }
  } catch (err) {
    error = describeError(err);
  }
  return { events, taskId, contextId, finalState, text: accumulator.text, error };
}

// ---------- scenarios ----------

const scenarios = {
  async card(client, card) {
    const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
    const older = await new DefaultAgentCardResolver({ fetchImpl }).resolve(base, '.well-known/agent.json');
    const sent = await client.sendMessage({ message: userMessage('1 delay=0') }, opts());
    return {
      url: card.url,
      preferredTransport: card.preferredTransport ?? null,
      protocolVersion: card.protocolVersion ?? null,
      additionalInterfaces: card.additionalInterfaces ?? [],
      streaming: card.capabilities?.streaming ?? null,
      extensions: (card.capabilities?.extensions ?? []).map((e) => e.uri),
      skills: card.skills.map((s) => s.id),
      olderPathUrl: older.url,
      sendKind: sent.kind,
      sendState: sent.status?.state ?? null,
    };
  },

  async stream(client) {
    const res = await collect(client.sendMessageStream({ message: userMessage('5 delay=10') }, opts()));
    return { ...res, ids: streamIds[0] ?? [] };
  },

  async get(client) {
    const sent = await client.sendMessage({ message: userMessage('2 delay=0'), configuration: { blocking: true } }, opts());
    const task = await client.getTask({ id: sent.id, historyLength: 1 }, opts());
    return {
      sentKind: sent.kind,
      sentTaskId: sent.id,
      taskId: task.id,
      kind: task.kind,
      state: task.status?.state ?? null,
      artifactText: artifactsText(task.artifacts),
      historyLength: task.history?.length ?? 0,
    };
  },

  async cancel(client) {
    const sent = await client.sendMessage({ message: userMessage('100 delay=100'), configuration: { blocking: false } }, opts());
    const canceled = await client.cancelTask({ id: sent.id }, opts());
    const out = { taskId: sent.id, sendState: sent.status?.state ?? null, stateAfterCancel: canceled.status?.state ?? null, secondCancel: null };
    try {
      const again = await client.cancelTask({ id: sent.id }, opts());
      out.secondCancel = { state: again.status?.state ?? null };
    } catch (err) {
      out.secondCancel = describeError(err);
    }
    return out;
  },

  async resubscribe(client) {
    const sent = await client.sendMessage({ message: userMessage('20 delay=50'), configuration: { blocking: false } }, opts());
    const res = await collect(client.resubscribeTask({ id: sent.id }, opts()));
    return { taskId: sent.id, sendState: sent.status?.state ?? null, ...res };
  },

  async resume(client) {
    // A stream dropped after its fourth event, resumed with Last-Event-ID on tasks/resubscribe.
    const abort = new AbortController();
    const accumulator = new ArtifactAccumulator();
    const first = await collect(
      client.sendMessageStream({ message: userMessage('10 delay=50') }, { signal: AbortSignal.any([abort.signal, signal()]) }),
      { stopAfter: 4, abort, accumulator });
    const seenIds = [...(streamIds[0] ?? [])];
    const lastEventId = seenIds[first.events.length - 1];
    const resumed = await collect(
      client.resubscribeTask({ id: first.taskId }, opts({ serviceParameters: { 'Last-Event-ID': lastEventId } })),
      { accumulator });
    return {
      taskId: first.taskId,
      first: first.events,
      firstIds: seenIds.slice(0, first.events.length),
      lastEventId,
      resumed: resumed.events,
      resumedIds: streamIds[1] ?? [],
      finalState: resumed.finalState,
      text: accumulator.text,
      error: first.error ?? resumed.error,
    };
  },

  async multiturn(client) {
    const asked = await collect(client.sendMessageStream({ message: userMessage('ask') }, opts()));
    const last = asked.events[asked.events.length - 1] ?? {};
    const answered = await collect(
      client.sendMessageStream({ message: userMessage('Ada', { taskId: asked.taskId, contextId: asked.contextId }) }, opts()));
    const task = await client.getTask({ id: asked.taskId }, opts());
    return {
      taskId: asked.taskId,
      askedEvents: asked.events,
      askedState: last.state ?? null,
      askedFinal: last.final ?? null,
      prompt: last.text ?? null,
      answeredTaskId: answered.taskId,
      answeredEvents: answered.events,
      answeredState: answered.finalState,
      greeting: answered.text,
      taskState: task.status?.state ?? null,
      history: (task.history ?? []).map((m) => `${m.role}: ${partsText(m.parts)}`),
      error: asked.error ?? answered.error,
    };
  },

  async errors(client) {
    const out = {};
    try {
      await client.getTask({ id: 'does-not-exist' }, opts());
      out.getUnknown = null;
    } catch (err) {
      out.getUnknown = describeError(err);
    }
    const done = await client.sendMessage({ message: userMessage('1 delay=0') }, opts());
    const finished = await collect(client.resubscribeTask({ id: done.id }, opts()));
    out.resubscribeFinished = finished.error;
    const toDone = await collect(client.sendMessageStream({ message: userMessage('more', { taskId: done.id }) }, opts()));
    out.streamToFinished = toDone.error;
    return out;
  },
};

// ---------- main ----------

async function main() {
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl })],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
    }),
  );
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const card = await new DefaultAgentCardResolver({ fetchImpl }).resolve(base);
  const client = await factory.createFromAgentCard(card);
  const result = await scenarios[scenario](client, card);
  return { scenario, ...result };
}

main().then(
  (result) => {
    clearTimeout(watchdog);
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
  },
  (err) => {
    clearTimeout(watchdog);
    const cause = err?.cause ? ` (cause: ${err.cause?.message ?? err.cause})` : '';
    process.stderr.write(`client-v03.mjs: ${scenario} failed: ${err?.stack ?? err}${cause}\n`);
    process.exit(1);
  },
);
