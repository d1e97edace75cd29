using System.Collections.Concurrent;
using Herald.Protocol;
using Herald.Server.Agents;
using Herald.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Server.Engine;

/// <summary>
/// Runs the agent for accepted messages, each in the background in its own DI scope, and ends the turn it leaves
/// open. Holds the only in-memory table of the engine, this process's runs, so that shutdown can stop them; who
/// runs which task is decided by the store's leases, not by this table.
/// </summary>
internal sealed class AgentRunner(
    TaskEngine engine, TaskStore store, EventDrafts drafts, IServiceScopeFactory scopes, AgentRegistration? agent, HeraldOptions options, ILogger logger)
{
    private readonly ConcurrentDictionary<AgentRun, byte> _runs = new();
    private int _slotsTaken;

    /// <summary>Number of agent executions in flight in this process.</summary>
    public int RunningCount => _runs.Count;

    /// <summary>Runs may start here when a slot is free: raised by a run that ended, for the claimer to look for more work.</summary>
    public event Action? SlotFreed;

    /// <summary>
    /// Takes one of this process's <see cref="HeraldOptions.MaxConcurrentRuns"/> slots; false when all are taken or when
    /// this process runs no agents (<see cref="HeraldOptions.RunAgents"/>). A slot is held from before the store write that
    /// gives the run to this process until the run ends, so the cap holds however messages and claims interleave.
    /// </summary>
    public bool TryTakeSlot()
    {
        if (!options.RunAgents || agent is null)
        {
            return false;
        }

        if (options.MaxConcurrentRuns is not { } max)
        {
            Interlocked.Increment(ref _slotsTaken);
            return true;
        }

        while (true)
        {
            var taken = Volatile.Read(ref _slotsTaken);
            if (taken >= max)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _slotsTaken, taken + 1, taken) == taken)
            {
                return true;
            }
        }
    }

    /// <summary>True when <see cref="TryTakeSlot"/> would succeed now.</summary>
    public bool HasFreeSlot => options.RunAgents && agent is not null && (options.MaxConcurrentRuns is not { } max || Volatile.Read(ref _slotsTaken) < max);

    /// <summary>Gives a slot back (its run ended, or never started); <see cref="SlotFreed"/> tells the claimer unless <paramref name="notify"/> is false.</summary>
    public void ReleaseSlot(bool notify = true)
    {
        Interlocked.Decrement(ref _slotsTaken);
        if (notify)
        {
            SlotFreed?.Invoke();
        }
    }

    /// <summary>The runs in flight now, for shutdown to stop.</summary>
    public AgentRun[] SnapshotRuns() => _runs.Keys.ToArray();

    /// <summary>Starts <paramref name="run"/> in the background; it holds a slot taken by <see cref="TryTakeSlot"/>, given back when it ends.</summary>
    public void Start(AgentRun run)
    {
        _runs.TryAdd(run, 0);
        run.BeginWatching();
        run.Execution = Task.Run(() => ExecuteAsync(run), CancellationToken.None);
    }

    /// <summary>Creates the task of a run whose agent may reply directly, at its first report; once, even when reports race.</summary>
    public async ValueTask CreateTaskForRunAsync(AgentRun run, CancellationToken cancellationToken)
    {
        if (run.TaskExists)
        {
            return;
        }

        await run.CreateGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (run.TaskExists)
            {
                return;
            }

            if (run.Replied)
            {
                throw new InvalidOperationException("The agent already answered with a direct message; it cannot also report on a task.");
            }

            var now = drafts.Now();
            var task = EventDrafts.NewTask(run.TaskId, run.ContextId, run.Message, now);
            TaskEvent created;
            try
            {
                created = await store.CreateAsync(task, new RunnerLease(run.LeaseOwner, options.RunnerLeaseDuration), run.TraceContext, run.Owner, cancellationToken).ConfigureAwait(false);
            }
            catch (TaskAlreadyExistsException)
            {
                // Only a client-chosen id can be taken: another message created that task since this one was accepted.
                run.Fail(A2AException.InvalidParams("message.taskId",
                    $"Task '{run.TaskId}' was created by another message at the same time; send again to continue it once it waits for input."));
                throw;
            }

            if (run.PushConfig is { } push)
            {
                await engine.PushConfigs.SaveInlineAsync(run.TaskId, push, created.Sequence, cancellationToken).ConfigureAwait(false);
            }

            run.MarkTaskCreated(new TaskSnapshot(task with { Generation = created.Generation }, created.Sequence) { TraceContext = run.TraceContext, Owner = run.Owner });
            run.BeginWatching();
        }
        finally
        {
            run.CreateGate.Release();
        }
    }

    /// <summary>
    /// The run's span. A run starts in this process right after its message was accepted, so it is a child of the request
    /// that accepted it (the context the store keeps with the task), named explicitly rather than taken from the flow: the
    /// span does not depend on how the run was scheduled.
    /// </summary>
    private static System.Diagnostics.Activity? StartRunSpan(AgentRun run)
    {
        if (!Telemetry.Source.HasListeners())
        {
            return null;
        }

        return run.TraceContext is { } trace && trace.TryGetActivityContext(out var parent)
            ? Telemetry.Source.StartActivity("herald.agent.run", System.Diagnostics.ActivityKind.Internal, parent)
            : Telemetry.Source.StartActivity("herald.agent.run");
    }

    private async Task ExecuteAsync(AgentRun run)
    {
        var token = run.Cancellation.Token;
        var scope = scopes.CreateAsyncScope();
        using var activity = StartRunSpan(run);
        activity?.SetTag("a2a.task.id", run.TaskId);
        activity?.SetTag("a2a.context.id", run.ContextId);
        activity?.SetTag("herald.run.turn", run.ExistingTask is null ? "new" : "continued");
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Telemetry.RunsActive.Add(1);
        try
        {
            var context = new AgentContext(engine, run);
            try
            {
                var instance = agent!.Factory(scope.ServiceProvider);
                await instance.ExecuteAsync(context, token).ConfigureAwait(false);
                if (!run.Replied)
                {
                    await run.Writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    await FinishTurnAsync(run, TaskState.Completed, null).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is TaskAlreadyTerminalException or LeaseLostException)
            {
                // Ended from outside (canceled, or failed by lease recovery) while the agent was still reporting.
            }
            catch (Exception) when (run.Writer.IsAbandoned)
            {
                // The store stayed unavailable: the agent was stopped (or its report failed); the task is ended below.
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                Log.AgentFailed(logger, run.TaskId, ex);
                if (!run.Replied)
                {
                    await FinishTurnAsync(run, TaskState.Failed, Message.AgentText("The agent failed with an internal error.")).ConfigureAwait(false);
                }
            }

            if (run.Writer.IsAbandoned)
            {
                await EndAbandonedRunAsync(run).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // Creating the task itself failed: the sender gets the error instead of waiting.
            run.Fail(ex);
        }
        finally
        {
            Telemetry.RunsActive.Add(-1);
            var outcome = run.Replied && run.Writer.EndState is null ? "replied" : run.Writer.EndState?.ToWireName() ?? "open";
            activity?.SetTag("a2a.task.state", outcome);
            Telemetry.RunDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("a2a.task.state", outcome));

            // The span ends before the run is let go: whoever waits for the run (shutdown) finds its span ended.
            activity?.Stop();

            // The lease is not released here: a turn that ended durably cleared it in that write; one that did not is
            // left to expire, so that recovery fails the task with a reason instead of it staying non-terminal for good.
            _runs.TryRemove(run, out _);
            ReleaseSlot();
            run.MarkFinished();
            await scope.DisposeAsync().ConfigureAwait(false);
            run.Fail(new InvalidOperationException("The agent ended without creating a task or replying."));
            await run.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends a run abandoned because the store stayed unavailable past the retry horizon: appends <c>failed</c> with the
    /// reason as soon as the store takes writes again, through the run's writer (its position, its retry loop), for up to
    /// twice the lease duration. If that is not enough, the lease (no longer renewed) expires and maintenance fails the
    /// task, on any replica.
    /// </summary>
    private async Task EndAbandonedRunAsync(AgentRun run)
    {
        var reason = Message.AgentText(
            "The task store was unavailable for longer than the server's retry horizon, so the agent was stopped; " +
            "updates it reported after the last one streamed were not saved.") with { TaskId = run.TaskId, ContextId = run.ContextId };
        var draft = drafts.Status(run.TaskId, run.ContextId, TaskState.Failed, reason);
        if (await run.Writer.WriteEndAfterAbandonmentAsync(draft, options.RunnerLeaseDuration * 2,
                new RetryBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5)), engine.StreamsClosing).ConfigureAwait(false))
        {
            Log.AbandonedRunEnded(logger, run.TaskId);
        }
    }

    /// <summary>
    /// Ends the turn the agent left open: completed when it returned, failed when it threw. A turn that
    /// paused the task, or a task that someone else ended, is left as it is; the lease decides.
    /// </summary>
    private async Task FinishTurnAsync(AgentRun run, TaskState state, Message? message)
    {
        try
        {
            await CreateTaskForRunAsync(run, CancellationToken.None).ConfigureAwait(false);
            if (run.Writer.Closed)
            {
                return;
            }

            await run.Writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            var update = drafts.Status(run.TaskId, run.ContextId, state, message);
            await run.Writer.ReportAsync(update, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TaskAlreadyTerminalException or LeaseLostException or InvalidOperationException || run.Writer.IsAbandoned)
        {
        }
    }
}
