// The agent of the interop servers (server.mjs over JSON-RPC, server-grpc.mjs over gRPC), like Herald's `chunks`
// demo agent: message text "N", "N chunks" or "N delay=MS" (MS = 100 by default) -> a working status, then N text
// chunks "chunk i of N\n" appended to one artifact (artifactId "chunks", append from the second chunk on, lastChunk on
// the last), MS apart, then completed. Anything else is rejected. CancelTask stops the loop at once.

import { randomUUID } from 'node:crypto';
import { Role, TaskState } from '@a2a-js/sdk';
import { AgentEvent } from '@a2a-js/sdk/server';

const MAX_CHUNKS = 100_000;
const MAX_DELAY_MS = 60_000;
export const USAGE = `Send the number of chunks to stream, optionally with the delay between them in milliseconds: 'N' or 'N delay=MS' (for example '20 delay=100'). N is 1 to ${MAX_CHUNKS}; MS is 0 to ${MAX_DELAY_MS}, 100 by default.`;
const SYNTAX = /^\s*([0-9]{1,9})(?:\s+chunks?)?(?:\s*[,;]?\s*delay\s*=\s*([0-9]{1,9})\s*(?:ms)?)?\s*$/i;

/** The same grammar as Herald's ChunksAgent.TryParse; null when the text is not a request. */
function parse(text) {
  const match = SYNTAX.exec(text);
  if (!match) return null;
  const count = Number(match[1]);
  const delay = match[2] === undefined ? 100 : Number(match[2]);
  return count >= 1 && count <= MAX_CHUNKS && delay <= MAX_DELAY_MS ? { count, delay } : null;
}

const now = () => new Date().toISOString();
const textPart = (value) => ({ content: { $case: 'text', value }, mediaType: 'text/plain', filename: '', metadata: undefined });
const agentMessage = (taskId, contextId, text) => ({
  messageId: randomUUID(), role: Role.ROLE_AGENT, taskId, contextId, parts: [textPart(text)],
  metadata: undefined, extensions: [], referenceTaskIds: [],
});

/** Resolves after ms, or at once when the signal aborts (never rejects). */
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

export class ChunksExecutor {
  /** taskId -> { contextId, abort: AbortController } of the executions still running. */
  #running = new Map();

  async execute(requestContext, eventBus) {
    const { taskId, contextId, userMessage } = requestContext;
    const text = userMessage.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');

    if (!requestContext.task) {
      eventBus.publish(AgentEvent.task({
        id: taskId, contextId, history: [userMessage], artifacts: [], metadata: undefined,
        status: { state: TaskState.TASK_STATE_SUBMITTED, timestamp: now() },
      }));
    }

    const request = parse(text);
    if (!request) {
      eventBus.publish(AgentEvent.statusUpdate({
        taskId, contextId, metadata: undefined,
        status: { state: TaskState.TASK_STATE_REJECTED, timestamp: now(), message: agentMessage(taskId, contextId, USAGE) },
      }));
      return;
    }

    const { count, delay } = request;
    const abort = new AbortController();
    this.#running.set(taskId, { contextId, abort });
    try {
      eventBus.publish(AgentEvent.statusUpdate({
        taskId, contextId, metadata: undefined,
        status: { state: TaskState.TASK_STATE_WORKING, timestamp: now(), message: agentMessage(taskId, contextId, `streaming ${count} chunks`) },
      }));
      for (let i = 1; i <= count; i++) {
        if (i > 1) await pause(delay, abort.signal);
        if (abort.signal.aborted) return; // cancelTask published the canceled status
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
    } finally {
      this.#running.delete(taskId);
    }
  }

  async cancelTask(taskId, eventBus) {
    const running = this.#running.get(taskId);
    running?.abort.abort();
    eventBus.publish(AgentEvent.statusUpdate({
      taskId, contextId: running?.contextId ?? '', metadata: undefined,
      status: { state: TaskState.TASK_STATE_CANCELED, timestamp: now(), message: agentMessage(taskId, running?.contextId ?? '', 'canceled') },
    }));
  }
}
