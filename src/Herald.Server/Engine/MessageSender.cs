using Herald.Protocol;
using Herald.Server.Agents;
using Herald.Server.Storage;

namespace Herald.Server.Engine;

/// <summary>
/// Accepts a message: creates its task or continues the one it names (one atomic store decision each), and answers the
/// sender as its <see cref="SendMode"/> asks. When this process has a free run slot, the same write takes the runner lease
/// and the run starts here at once (the accepting process claims its own run first, so latency is that of a direct run);
/// otherwise (no slot free, or a process that runs no agents) the write records the run to do in the store, and whichever
/// process has capacity claims it (<see cref="RunClaimer"/>): the task waits there, listed as it was accepted.
/// </summary>
internal sealed class MessageSender(
    TaskEngine engine, TaskStore store, EventDrafts drafts, AgentRunner runner, RunClaimer claimer, EngineShutdown shutdown, AgentRegistration? agent, HeraldOptions options)
{
    public async Task<SendResult> SendAsync(Caller caller, SendMessageRequest request, SendMode mode, SendOptions sendOptions, CancellationToken cancellationToken)
    {
        var message = RequestValidator.ValidateSend(request);
        var owner = TaskEngine.OwnerFor(caller, request.Tenant);

        // A webhook sent with the message is checked before anything is accepted, and kept with the task before its run starts.
        var push = await engine.PushConfigs.ValidateInlineAsync(request, cancellationToken).ConfigureAwait(false);
        var clientChosenId = sendOptions.CreateTaskWithClientId;
        if (clientChosenId)
        {
            RequestValidator.ValidateClientTaskId(message.TaskId);
        }

        if (shutdown.Stopping)
        {
            throw new A2AException(A2AErrorCodes.UnsupportedOperation, "The server is shutting down and accepts no new messages.");
        }

        var registered = agent ?? throw new InvalidOperationException("No agent is registered: call services.AddHerald().AddAgent<TAgent>().");
        var slot = new SlotReservation { Held = runner.TryTakeSlot() };
        try
        {
            return await SendCoreAsync(new Sender(caller, owner, push), request, message, registered, mode, clientChosenId, slot, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Not handed to a run (the message was refused, or the write failed): the slot is free again.
            if (slot.Held)
            {
                runner.ReleaseSlot();
            }
        }
    }

    private async Task<SendResult> SendCoreAsync(
        Sender sender, SendMessageRequest request, Message message, AgentRegistration registered, SendMode mode, bool clientChosenId, SlotReservation slot, CancellationToken cancellationToken)
    {
        var now = drafts.Now();
        var lease = new RunnerLease(NewLeaseOwner(), options.RunnerLeaseDuration);

        // The request's trace context, kept with the task so that its run and streams join this trace (only when traced).
        var trace = Telemetry.CaptureTraceContext();
        AgentRun? run;
        SendResult? accepted = null;
        if (message.TaskId is { Length: > 0 } taskId)
        {
            A2AOperation.TagTask(taskId);
            // The task as the message finds it (what the agent sees as ExistingTask); the decision comes below.
            var found = await store.GetAsync(taskId, cancellationToken: cancellationToken).ConfigureAwait(false);
            var existing = engine.Accessible(found, sender.Caller, sender.Owner, TaskAccess.Continue);
            if (found is not null && existing is null && clientChosenId)
            {
                // Another owner's task holds the id the client chose: the id is not available, said in the same words as for
                // an ended task of the caller's own, so the answer tells nothing about whose it is or what state it is in.
                throw TaskIdTaken(taskId);
            }

            if (existing is null && clientChosenId)
            {
                // A new task under the client's id. The store's duplicate check decides a race with another sender
                // of the same id; the loser continues the winner's task if it may (the decision below), like any follow-up.
                var contextId = message.ContextId is { Length: > 0 } given ? given : Guid.NewGuid().ToString();
                var started = await TryStartNewTaskAsync(sender, registered, taskId, contextId, message with { ContextId = contextId }, request, lease, trace, slot.Held, now, cancellationToken)
                    .ConfigureAwait(false);
                if (started is { } fresh)
                {
                    (run, accepted) = fresh;
                    return await FinishSendAsync(run, taskId, accepted, request, mode, slot, cancellationToken).ConfigureAwait(false);
                }

                found = await store.GetAsync(taskId, cancellationToken: cancellationToken).ConfigureAwait(false);
                existing = engine.Accessible(found, sender.Caller, sender.Owner, TaskAccess.Continue);
                if (found is not null && existing is null)
                {
                    throw TaskIdTaken(taskId);
                }
            }

            if (existing is null)
            {
                throw A2AException.TaskNotFound(taskId);
            }

            var taskContextId = existing.Task.ContextId ?? "";
            if (existing.Task.Status.State.IsTerminal())
            {
                throw clientChosenId ? TaskIdTaken(taskId) : AcceptsNoMessages(taskId, existing.Task.Status.State);
            }

            if (message.ContextId is { Length: > 0 } givenContext && givenContext != taskContextId)
            {
                throw A2AException.InvalidParams("message.contextId", $"message.contextId '{givenContext}' does not match task '{taskId}' (context '{taskContextId}').");
            }

            message = message with { TaskId = taskId, ContextId = taskContextId };
            if (sender.Push is { } inline)
            {
                // A follow-up's webhook joins the task's others: refused here, before the message is accepted, when there is no room.
                await engine.PushConfigs.RequireRoomAsync(taskId, inline, cancellationToken).ConfigureAwait(false);
            }

            // One atomic store decision: the task is not terminal and nobody holds a live lease on it; the
            // message is appended and the lease taken in the same write. No check-then-act here.
            var ifGeneration = request.Configuration?.IfGenerationMatch;
            var follow = TaskEvent.ForMessage(0, message, now).WithTraceContext(trace);
            var outcome = slot.Held
                ? await store.ContinueAsync(taskId, follow, lease, ifGeneration, cancellationToken).ConfigureAwait(false)
                : await store.ContinuePendingAsync(taskId, follow, RunRecord.Encode(request, message, continuation: true), ifGeneration, cancellationToken)
                    .ConfigureAwait(false);
            switch (outcome.Outcome)
            {
                case ContinueOutcome.NotFound:
                    throw A2AException.TaskNotFound(taskId);
                case ContinueOutcome.Terminal:
                    throw clientChosenId ? TaskIdTaken(taskId) : AcceptsNoMessages(taskId, outcome.State);
                case ContinueOutcome.GenerationMismatch:
                    throw A2AException.TaskGenerationMismatch(taskId, request.Configuration!.IfGenerationMatch!.Value, outcome.Generation);
                case ContinueOutcome.Leased:
                    throw new A2AException(A2AErrorCodes.UnsupportedOperation,
                        $"Task '{taskId}' is still being worked on ({outcome.State.ToWireName()}); send the next message once it asks for input.");
            }

            if (sender.Push is { } push)
            {
                await engine.PushConfigs.SaveInlineAsync(taskId, push, outcome.Message!.Sequence, cancellationToken).ConfigureAwait(false);
            }

            var snapshot = await store.GetAsync(taskId, cancellationToken: cancellationToken).ConfigureAwait(false)
                ?? throw A2AException.TaskNotFound(taskId);
            run = slot.Held
                ? new AgentRun(engine, taskId, taskContextId, message, request, existing.Task, lease.Owner, outcome.Message!.Sequence, taskExists: true)
                {
                    TraceContext = trace,
                    Owner = existing.Owner,
                }
                : null;

            // The snapshot was read after the append: it includes the message (and anything appended since,
            // which a stream from it must not repeat).
            accepted = new SendResult(null, snapshot);
        }
        else
        {
            var contextId = message.ContextId is { Length: > 0 } c ? c : Guid.NewGuid().ToString();
            var newTaskId = Guid.NewGuid().ToString();
            (run, accepted) = await TryStartNewTaskAsync(sender, registered, newTaskId, contextId, message with { ContextId = contextId }, request, lease, trace, slot.Held, now, cancellationToken)
                .ConfigureAwait(false) ?? throw new InvalidOperationException($"The new task id '{newTaskId}' is taken.");
            message = message with { TaskId = newTaskId };
        }

        return await FinishSendAsync(run, message.TaskId!, accepted, request, mode, slot, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A run for a message that starts a new task with id <paramref name="taskId"/>: with <see cref="AgentResponseMode.Task"/> the
    /// task is created now (null when the id is taken), otherwise by the agent's first report. Not started yet. Without
    /// <paramref name="runHere"/>, the task is created now whatever the mode, with its run recorded for a claimer (the run is null).
    /// </summary>
    private async Task<(AgentRun? Run, SendResult? Accepted)?> TryStartNewTaskAsync(
        Sender sender, AgentRegistration registered, string taskId, string contextId, Message message, SendMessageRequest request, RunnerLease lease, TaskTraceContext? trace,
        bool runHere, DateTimeOffset now, CancellationToken cancellationToken)
    {
        message = message with { TaskId = taskId, ContextId = contextId };
        A2AOperation.TagTask(taskId);
        if (!runHere)
        {
            var queued = EventDrafts.NewTask(taskId, contextId, message, now);
            TaskEvent recorded;
            try
            {
                recorded = await store.CreatePendingAsync(queued, RunRecord.Encode(request, message, continuation: false), trace, sender.Owner, cancellationToken).ConfigureAwait(false);
            }
            catch (TaskAlreadyExistsException)
            {
                return null;
            }

            if (sender.Push is { } queuedPush)
            {
                await engine.PushConfigs.SaveInlineAsync(taskId, queuedPush, recorded.Sequence, cancellationToken).ConfigureAwait(false);
            }

            return (null, new SendResult(null, new TaskSnapshot(queued with { Generation = recorded.Generation }, recorded.Sequence) { TraceContext = trace, Owner = sender.Owner }));
        }

        if (registered.Mode != AgentResponseMode.Task)
        {
            // The agent may answer with a direct message: the task is created by its first report, if any.
            return (new AgentRun(engine, taskId, contextId, message, request, null, lease.Owner, 0, taskExists: false)
            {
                TraceContext = trace,
                Owner = sender.Owner,
                PushConfig = sender.Push,
            }, null);
        }

        // The task exists (and is listed) from the moment the message is accepted, before agent code runs.
        var task = EventDrafts.NewTask(taskId, contextId, message, now);
        TaskEvent created;
        try
        {
            created = await store.CreateAsync(task, lease, trace, sender.Owner, cancellationToken).ConfigureAwait(false);
        }
        catch (TaskAlreadyExistsException)
        {
            return null;
        }

        if (sender.Push is { } push)
        {
            await engine.PushConfigs.SaveInlineAsync(taskId, push, created.Sequence, cancellationToken).ConfigureAwait(false);
        }

        return (new AgentRun(engine, taskId, contextId, message, request, null, lease.Owner, created.Sequence, taskExists: true) { TraceContext = trace, Owner = sender.Owner },
            new SendResult(null, new TaskSnapshot(task with { Generation = created.Generation }, created.Sequence) { TraceContext = trace, Owner = sender.Owner }));
    }

    private async Task<SendResult> FinishSendAsync(
        AgentRun? run, string taskId, SendResult? accepted, SendMessageRequest request, SendMode mode, SlotReservation slot, CancellationToken cancellationToken)
    {
        if (run is not null)
        {
            // The slot goes with the run: the runner gives it back when the run ends.
            slot.Held = false;
            runner.Start(run);
        }
        else
        {
            // Recorded for a claimer: this process's own claimer looks at once (others are woken by the store).
            claimer.Signal();
        }

        var start = accepted ?? await run!.Started.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (start.Reply is not null || mode == SendMode.Streaming)
        {
            return start;
        }

        var historyLength = request.Configuration?.HistoryLength;
        if (mode == SendMode.Blocking)
        {
            await using var stream = new TaskStream(engine, null, taskId, start.Task!.Sequence, stopAtInterrupt: true, keepAlives: false,
                completed: start.Task.Task.Status.State.IsTerminal());
            var sink = new List<TaskEvent>();
            while (await stream.ReadAsync(sink, cancellationToken).ConfigureAwait(false) != TaskStreamRead.End)
            {
                sink.Clear();
            }
        }

        var current = await store.GetAsync(taskId, historyLength, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new SendResult(null, current ?? throw A2AException.TaskNotFound(taskId));
    }

    /// <summary>Who sends: the caller, and the owner it acts as (its principal in the request's tenant).</summary>
    private readonly record struct Sender(Caller Caller, TaskOwner Owner, TaskPushNotificationConfig? Push);

    /// <summary>Whether the send still holds a run slot it took (given to the run once started, given back otherwise).</summary>
    private sealed class SlotReservation
    {
        public bool Held { get; set; }
    }

    private string NewLeaseOwner() => options.InstanceId + "/" + Guid.NewGuid().ToString("N");

    private static A2AException AcceptsNoMessages(string taskId, TaskState state) =>
        new(A2AErrorCodes.UnsupportedOperation, $"Task '{taskId}' is {state.ToWireName()} and accepts no further messages.");

    private static A2AException TaskIdTaken(string taskId) =>
        A2AException.InvalidParams("message.taskId",
            $"Task id '{(taskId.Length <= 128 ? taskId : taskId[..128] + "...")}' is not available for a new task: choose another id (a task of yours takes messages under its id only while it waits for input).");
}
