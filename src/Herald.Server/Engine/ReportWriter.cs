using Herald.Server.Storage;

namespace Herald.Server.Engine;

/// <summary>
/// Carries one run's reports to the store in order, batching those that arrive while a write is in
/// flight: the first report is written at once, reports made meanwhile go together in the next write
/// (one durable write, one commit, however many chunks). An agent does not wait for durability of
/// ordinary reports unless too many are pending (bounded memory); a report that ends or pauses the
/// task, and <see cref="FlushAsync"/>, wait until everything reported is in the store. A write the
/// store refuses (the task ended, the lease was lost) fails every later report with that error.
/// </summary>
internal sealed class ReportWriter(TaskStore store, string taskId, string leaseOwner)
{
    private const int MaxPendingEvents = 4096;

    private readonly Lock _gate = new();
    private List<TaskEvent> _pending = [];
    private bool _releasePending;
    private Task? _writing;
    private Exception? _failure;
    private bool _closed;

    /// <summary>True once a terminal or pausing report was accepted: this turn can report nothing more.</summary>
    public bool Closed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    /// <summary>True once this run reported a terminal state itself.</summary>
    public bool ReportedTerminal { get; private set; }

    /// <summary>True once this run paused the task for the client (input- or auth-required).</summary>
    public bool Paused { get; private set; }

    /// <summary>Queues a report; waits only when the store has fallen far behind, or when the report ends or pauses the task.</summary>
    public ValueTask ReportAsync(TaskEvent draft, CancellationToken cancellationToken)
    {
        Task? backlog = null;
        var endsTurn = draft.EndsStream;
        lock (_gate)
        {
            ThrowIfUnusable();
            _pending.Add(draft);
            if (endsTurn)
            {
                _closed = true;
                if (draft.IsTerminal)
                {
                    ReportedTerminal = true;
                }
                else
                {
                    // Pausing for the client ends this turn: the lease goes in the same write, so a follow-up
                    // message can be accepted (by any replica) as soon as the pause is visible.
                    Paused = true;
                    _releasePending = true;
                }
            }

            if (_writing is null)
            {
                _writing = WriteLoopAsync();
            }
            else if (_pending.Count >= MaxPendingEvents)
            {
                backlog = _writing;
            }
        }

        if (endsTurn)
        {
            return FlushAsync(cancellationToken);
        }

        return backlog is null ? ValueTask.CompletedTask : new ValueTask(WaitForRoomAsync(backlog, cancellationToken));
    }

    /// <summary>Queues several reports as one write.</summary>
    public ValueTask ReportAsync(IReadOnlyList<TaskEvent> drafts, CancellationToken cancellationToken)
    {
        var endsTurn = false;
        lock (_gate)
        {
            ThrowIfUnusable();
            for (var i = 0; i < drafts.Count; i++)
            {
                var draft = drafts[i];
                if (draft.EndsStream)
                {
                    if (i != drafts.Count - 1)
                    {
                        throw new ArgumentException("A report that ends or pauses the task must come last in its batch.", nameof(drafts));
                    }

                    endsTurn = true;
                    _closed = true;
                    ReportedTerminal = draft.IsTerminal;
                    Paused = !draft.IsTerminal;
                    _releasePending |= !draft.IsTerminal;
                }
            }

            _pending.AddRange(drafts);
            _writing ??= WriteLoopAsync();
        }

        return endsTurn ? FlushAsync(cancellationToken) : ValueTask.CompletedTask;
    }

    /// <summary>Waits until everything reported so far is in the store; throws what the store refused.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task? writing;
            lock (_gate)
            {
                if (_failure is not null)
                {
                    throw _failure;
                }

                writing = _writing;
            }

            if (writing is null)
            {
                return;
            }

            await writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WaitForRoomAsync(Task backlog, CancellationToken cancellationToken)
    {
        await backlog.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            if (_failure is not null)
            {
                throw _failure;
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        // Yield first so the caller's report returns at once and later reports can join this write.
        await Task.Yield();
        while (true)
        {
            List<TaskEvent> batch;
            bool release;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _writing = null;
                    return;
                }

                batch = _pending;
                _pending = [];
                release = _releasePending;
                _releasePending = false;
            }

            try
            {
                await store.AppendAsync(taskId, batch, new AppendOptions { LeaseOwner = leaseOwner, ReleaseLease = release }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                lock (_gate)
                {
                    _failure = ex;
                    _pending.Clear();
                    _writing = null;
                }

                return;
            }
        }
    }

    private void ThrowIfUnusable()
    {
        if (_failure is not null)
        {
            throw _failure;
        }

        if (_closed)
        {
            throw new InvalidOperationException(Paused
                ? $"This turn of task '{taskId}' ended when it asked the client for input; report the rest in the next turn."
                : $"Task '{taskId}' was already ended by this agent; it accepts no further reports.");
        }
    }
}
