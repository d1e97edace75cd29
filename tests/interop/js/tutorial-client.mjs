#!/usr/bin/env node
// Herald interop driver: a client that reads SSE the way the first A2A tutorial's client does, with no SSE parser
// and no npm dependencies (Node's fetch). It POSTs one JSON-RPC request, reads the body as text chunks, appends
// each to a buffer, splits the buffer on "\n\n" and keeps the last, incomplete piece for the next chunk. A complete
// message that starts with "data: " is JSON-parsed whole from after that prefix up to the blank line; when that
// fails it reports "Failed to parse SSE data", as the tutorial's client logs, and counts it. Other messages
// (comments, retry:) are skipped. Nothing here is smarter than the tutorial: that is the point.
//
// Usage: node tutorial-client.mjs <url> <scenario> [text]
//   url       the JSON-RPC endpoint (the agent card's url; Herald serves it at the root)
//   scenario  sendSubscribe  tasks/sendSubscribe with a client-chosen task id and sessionId
//             resubscribe    tasks/sendSubscribe (read to the first event), then tasks/resubscribe {id} on the same task
//                            without Last-Event-ID, read to the end
//   text      the message text (default "5 delay=20": five chunks from Herald's `chunks` agent)
//
// Output: each parsed event as one JSON line {"stream":..,"event":..}, each failure as "Failed to parse SSE data"
// on stderr, then one JSON summary object on the last stdout line. Exit code 0 when the scenario ran (assertions
// are on the .NET side); 1 on an unexpected exception; 2 on a usage error; 124 when the watchdog fires.

import { randomUUID } from 'node:crypto';

const SCENARIOS = ['sendSubscribe', 'resubscribe'];
const [url, scenario, text = '5 delay=20'] = process.argv.slice(2);
if (!url || !SCENARIOS.includes(scenario)) {
  process.stderr.write(`usage: node tutorial-client.mjs <url> <${SCENARIOS.join('|')}> [text]\n`);
  process.exit(2);
}

const TIMEOUT_MS = Number(process.env.INTEROP_TIMEOUT_MS ?? 20000);
const watchdog = setTimeout(() => {
  process.stderr.write(`tutorial-client.mjs: watchdog fired after ${TIMEOUT_MS} ms (scenario ${scenario})\n`);
  process.exit(124);
}, TIMEOUT_MS);

let parseFailures = 0;
let dataMessages = 0;
let requestId = 0;

// POSTs one JSON-RPC request and yields the `result` of each event, read as the tutorial's client reads them.
// `stopAfter` ends the read (and drops the connection) after that many events.
async function* stream(method, params, stopAfter = Infinity) {
  const abort = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++requestId, method, params }),
    signal: abort.signal,
  });
  if (!response.ok || !response.body) {
    throw new Error(`${method}: HTTP ${response.status}`);
  }

  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let seen = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += value;
      const messages = buffer.split('\n\n');
      buffer = messages.pop();
      for (const message of messages) {
        if (!message.startsWith('data: ')) continue;
        dataMessages++;
        let parsed;
        try {
          parsed = JSON.parse(message.slice(6));
        } catch {
          parseFailures++;
          process.stderr.write(`Failed to parse SSE data: ${JSON.stringify(message)}\n`);
          continue;
        }
        if (parsed.error) throw new Error(`${method}: JSON-RPC error ${JSON.stringify(parsed.error)}`);
        yield parsed.result;
        if (++seen >= stopAfter) return;
      }
    }
  } finally {
    abort.abort();
  }
}

function state(event) {
  return event?.status?.state ?? null;
}

async function collect(name, method, params, stopAfter) {
  const events = [];
  for await (const event of stream(method, params, stopAfter)) {
    process.stdout.write(`${JSON.stringify({ stream: name, event })}\n`);
    events.push(event);
  }
  return events;
}

const taskId = randomUUID();
const sessionId = randomUUID();
const sendParams = {
  id: taskId,
  sessionId,
  message: { role: 'user', parts: [{ type: 'text', text }] },
};

try {
  const summary = { scenario, taskId, sessionId };
  if (scenario === 'sendSubscribe') {
    summary.events = await collect('sendSubscribe', 'tasks/sendSubscribe', sendParams);
  } else {
    summary.first = await collect('sendSubscribe', 'tasks/sendSubscribe', sendParams, 1);
    summary.events = await collect('resubscribe', 'tasks/resubscribe', { id: taskId });
  }
  const last = summary.events.at(-1);
  summary.finalState = state(last);
  summary.final = last?.final ?? null;
  summary.parseFailures = parseFailures;
  summary.dataMessages = dataMessages;
  clearTimeout(watchdog);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} catch (error) {
  process.stderr.write(`tutorial-client.mjs: ${error?.stack ?? error}\n`);
  process.exit(1);
}
