using Herald.Protocol;
using Herald.Server.Engine;
using Herald.Server.Storage;
using Microsoft.Extensions.Options;

namespace Herald.Server.Hosting;

/// <summary>
/// Identifies answers that are byte for byte the same: one task, asked for with the same history length and encoded
/// in the same shape (a binding and dialect's own name for its encoding, such as "jsonrpc/v1+generation"), by the same
/// caller in the same tenant: an answer is shared only with requests that would have been allowed to build it themselves.
/// </summary>
internal readonly record struct SharedAnswerKey(string TaskId, int? HistoryLength, string Shape, string? Tenant, Caller Caller);

/// <summary>An encoded answer and the log position of the task it shows (-1 when unknown: it is then never reused).</summary>
internal readonly record struct SharedBody(byte[] Bytes, long Sequence);

/// <summary>
/// Encodes an answer once for every request that asks for it at about the same time (GetTask of one large task by many
/// clients), so that memory holds one copy of its bytes however many clients are reading it.
/// </summary>
/// <remarks>
/// <para>
/// Each member must see every event acknowledged before it asked, as if it had built its own answer. So a request
/// joins an answer only when that holds: a <em>group</em> whose build has not started yet (while one build of a key
/// runs, newcomers form the next group, which starts when that build ends), or an answer already built whose task has
/// not moved since (one cheap read of the task's position, made only when such an answer is still being written to
/// someone). For each key, one build at a time.
/// </para>
/// <para>
/// A build runs in a turn of the <see cref="ResponseBudget"/>'s snapshot gate and reserves its encoded size in the
/// budget once for all its readers; the reservation is returned when the last of them has written its answer (or
/// gone), and the bytes go with it: nothing is cached beyond the answers being written.
/// </para>
/// </remarks>
internal sealed class SharedAnswers
{
    private readonly Lock _lock = new();
    private readonly Dictionary<SharedAnswerKey, Slot> _slots = [];
    private readonly ResponseBudget _budget;
    private readonly TaskStore _store;
    private readonly TimeProvider _time;
    private readonly long _maxResponseBytes;
    private readonly TimeSpan _wait;

    internal SharedAnswers(ResponseBudget budget, TaskStore store, IOptions<HeraldOptions> options, TimeProvider time)
    {
        _budget = budget;
        _store = store;
        _time = time;
        _maxResponseBytes = options.Value.MaxResponseBytes;
        _wait = options.Value.ResponseBudgetWait;
    }

    /// <summary>Keys with an answer building, waiting to build, or being written (zero once every answer has left).</summary>
    internal int ActiveKeys
    {
        get
        {
            lock (_lock)
            {
                return _slots.Count;
            }
        }
    }

    /// <summary>Builds run so far (for tests and diagnostics).</summary>
    internal long Builds => Volatile.Read(ref _builds);

    private long _builds;

    /// <summary>
    /// The task of a GetTask with the log position it shows, for <see cref="SharedBody.Sequence"/>: from Herald's own
    /// engine; any other <see cref="IHeraldEngine"/> gives the task only (its answers are then shared while they build,
    /// never reused after).
    /// </summary>
    public static async ValueTask<TaskSnapshot> GetTaskAsync(IHeraldEngine engine, Caller caller, GetTaskRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return engine is TaskEngine own
            ? await own.GetTaskSnapshotAsync(caller, request, cancellationToken).ConfigureAwait(false)
            : new TaskSnapshot(await engine.GetTaskAsync(caller, request, cancellationToken).ConfigureAwait(false), -1);
    }

    /// <summary>
    /// Joins an answer for <paramref name="key"/> and waits for it. <paramref name="encode"/> (called at most once per
    /// build, never under the caller's token, and never capturing the caller's request) builds and encodes it. Dispose
    /// the result once the answer has been written (or failed). Exceptions of <paramref name="encode"/> reach every
    /// member of its group. An answer larger than <paramref name="maxBytes"/> (default
    /// <see cref="HeraldOptions.MaxResponseBytes"/>; the same for every request of one shape) is not kept.
    /// </summary>
    public async ValueTask<SharedAnswer> GetAsync(SharedAnswerKey key, Func<CancellationToken, ValueTask<SharedBody>> encode, CancellationToken cancellationToken, long? maxBytes = null)
    {
        ArgumentNullException.ThrowIfNull(encode);
        if (await TryReuseAsync(key, cancellationToken).ConfigureAwait(false) is { } reused)
        {
            return reused;
        }

        Group group;
        bool start = false, wait = false;
        lock (_lock)
        {
            var slot = SlotOf(key);
            if (slot.Waiting is { } waiting)
            {
                group = waiting;
            }
            else if (slot.Building is not null)
            {
                group = slot.Waiting = new Group(this, key, encode, maxBytes ?? _maxResponseBytes);
                wait = true;
            }
            else
            {
                group = slot.Building = new Group(this, key, encode, maxBytes ?? _maxResponseBytes);
                start = true;
            }

            // Not yet built, so the build's own hold keeps it above zero.
            Interlocked.Increment(ref group.Members);
        }

        if (start)
        {
            _ = group.RunAsync();
        }
        else if (wait)
        {
            _ = group.ExpireAsync();
        }

        try
        {
            var outcome = await group.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new SharedAnswer(group, outcome);
        }
        catch
        {
            group.Leave();
            throw;
        }
    }

    /// <summary>
    /// An answer built before this request arrived, still being written to others, whose task has not moved since it
    /// was built (its position read now equals the answer's): this request would have built the same bytes.
    /// </summary>
    private async ValueTask<SharedAnswer?> TryReuseAsync(SharedAnswerKey key, CancellationToken cancellationToken)
    {
        Group? built;
        lock (_lock)
        {
            built = _slots.TryGetValue(key, out var slot) ? slot.Built : null;
            if (built is null || !built.TryHold())
            {
                return null;
            }
        }

        return await StillCurrentAsync(built, cancellationToken).ConfigureAwait(false)
            ? new SharedAnswer(built, await built.Completion.ConfigureAwait(false))
            : null;
    }

    /// <summary>
    /// True when the task has not moved since <paramref name="held"/> was built: its position, read now (one small read:
    /// no artifacts, no history), is the answer's. Otherwise <paramref name="held"/> is let go. A failed read counts as
    /// moved: the request then builds its own answer through the engine, which answers a store outage as it always does.
    /// </summary>
    private async ValueTask<bool> StillCurrentAsync(Group held, CancellationToken cancellationToken)
    {
        try
        {
            var snapshot = await _store.GetAsync(held.Key.TaskId, 0, includeArtifacts: false, cancellationToken).ConfigureAwait(false);
            if (snapshot?.Sequence == held.Sequence)
            {
                return true;
            }
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
        }
        catch
        {
            held.Leave();
            throw;
        }

        held.Leave();
        return false;
    }

    private Slot SlotOf(SharedAnswerKey key)
    {
        if (!_slots.TryGetValue(key, out var slot))
        {
            slot = new Slot();
            _slots.Add(key, slot);
        }

        return slot;
    }

    private void Ended(Group group, bool reusable)
    {
        // The build is over: its answer may serve later requests while it is being written; the group that formed
        // meanwhile (if any) stops taking members and builds now.
        Group? next;
        lock (_lock)
        {
            if (!_slots.TryGetValue(group.Key, out var slot) || slot.Building != group)
            {
                return;
            }

            if (reusable)
            {
                slot.Built = group;
            }

            next = slot.Waiting;
            slot.Waiting = null;
            slot.Building = next;
            next?.Promote(reusable && group.TryHold() ? group : null);
            DropIfEmpty(group.Key, slot);
        }

        if (next is not null)
        {
            // Built outside the context of the request whose build just ended (its trace and operation are not this one's).
            using (ExecutionContext.SuppressFlow())
            {
                _ = Task.Run(next.RunAsync);
            }
        }
    }

    /// <summary>The last reader of an answer is done: it can no longer be reused.</summary>
    private void Released(Group group)
    {
        lock (_lock)
        {
            if (_slots.TryGetValue(group.Key, out var slot) && slot.Built == group)
            {
                slot.Built = null;
                DropIfEmpty(group.Key, slot);
            }
        }
    }

    /// <summary>A waiting group whose wait ran out: it stops taking members, and the ones it has are told "busy".</summary>
    private bool TryDropWaiting(Group group)
    {
        lock (_lock)
        {
            if (_slots.TryGetValue(group.Key, out var slot) && slot.Waiting == group)
            {
                slot.Waiting = null;
                DropIfEmpty(group.Key, slot);
                return true;
            }

            return false;
        }
    }

    private void DropIfEmpty(SharedAnswerKey key, Slot slot)
    {
        if (slot is { Building: null, Waiting: null, Built: null })
        {
            _slots.Remove(key);
        }
    }

    private sealed class Slot
    {
        public Group? Building;
        public Group? Waiting;
        public Group? Built;
    }

    internal sealed class Group(SharedAnswers owner, SharedAnswerKey key, Func<CancellationToken, ValueTask<SharedBody>> encode, long maxBytes)
    {
        private readonly TaskCompletionSource<Outcome> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _promoted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _reserved;
        private Group? _previous;
        private Group? _borrowed;

        public SharedAnswerKey Key { get; } = key;

        /// <summary>Readers holding the answer, plus one for the build itself until it ends.</summary>
        public int Members = 1;

        /// <summary>The position of the task the answer shows (-1: unknown).</summary>
        public long Sequence { get; private set; } = -1;

        public Task<Outcome> Completion => _done.Task;

        /// <summary>
        /// Under the owner's lock: the group builds next and takes no more members. <paramref name="previous"/> (held for
        /// it) is the answer just built, which it takes instead of building if the task has not moved since.
        /// </summary>
        public void Promote(Group? previous)
        {
            _previous = previous;
            _promoted.TrySetResult();
        }

        /// <summary>Holds a built answer for one more reader, unless its last reader has already let it go.</summary>
        public bool TryHold()
        {
            while (true)
            {
                var members = Volatile.Read(ref Members);
                if (members <= 0)
                {
                    return false;
                }

                if (Interlocked.CompareExchange(ref Members, members + 1, members) == members)
                {
                    return true;
                }
            }
        }

        public async Task RunAsync()
        {
            var reusable = false;
            try
            {
                if (_previous is { } previous)
                {
                    // Everyone here arrived during the build before; if the task has not moved since, that answer is theirs.
                    _previous = null;
                    if (await owner.StillCurrentAsync(previous, CancellationToken.None).ConfigureAwait(false))
                    {
                        _borrowed = previous;
                        Sequence = previous.Sequence;
                        reusable = true;
                        _done.TrySetResult(await previous.Completion.ConfigureAwait(false));
                        return;
                    }
                }

                if (!await owner._budget.TryBeginBuildAsync().ConfigureAwait(false))
                {
                    _done.TrySetResult(Outcome.Busy);
                    return;
                }

                try
                {
                    Interlocked.Increment(ref owner._builds);
                    var body = await encode(CancellationToken.None).ConfigureAwait(false);
                    if (body.Bytes.Length > maxBytes)
                    {
                        _done.TrySetResult(Outcome.TooLarge(body.Bytes.Length));
                        return;
                    }

                    if (!await owner._budget.TryReserveAsync(body.Bytes.Length).ConfigureAwait(false))
                    {
                        _done.TrySetResult(Outcome.Busy);
                        return;
                    }

                    Volatile.Write(ref _reserved, body.Bytes.Length);
                    Sequence = body.Sequence;
                    reusable = body.Sequence >= 0;
                    _done.TrySetResult(Outcome.Ready(body.Bytes));
                }
                finally
                {
                    owner._budget.EndBuild();
                }
            }
            catch (Exception ex)
            {
                _done.TrySetException(ex);
            }
            finally
            {
                owner.Ended(this, reusable);
                Leave();
            }
        }

        /// <summary>A waiting group waits for the build before it at most <see cref="HeraldOptions.ResponseBudgetWait"/>.</summary>
        public async Task ExpireAsync()
        {
            if (owner._wait == Timeout.InfiniteTimeSpan)
            {
                return;
            }

            try
            {
                await _promoted.Task.WaitAsync(owner._wait, owner._time).ConfigureAwait(false);
            }
            catch (TimeoutException) when (owner.TryDropWaiting(this))
            {
                _done.TrySetResult(Outcome.Busy);
                Leave();
            }
            catch (TimeoutException)
            {
                // Promoted at the same moment: it builds.
            }
        }

        /// <summary>A reader (or the build) is done with the answer; the last one returns its bytes to the budget.</summary>
        public void Leave()
        {
            if (Interlocked.Decrement(ref Members) != 0)
            {
                return;
            }

            owner.Released(this);
            if (Interlocked.Exchange(ref _reserved, 0) is var bytes and > 0)
            {
                owner._budget.Release(bytes);
            }

            Interlocked.Exchange(ref _borrowed, null)?.Leave();
        }
    }

    /// <summary>How a build ended.</summary>
    internal readonly record struct Outcome(SharedAnswerStatus Status, byte[]? Body, long Size)
    {
        public static Outcome Busy => new(SharedAnswerStatus.Busy, null, 0);

        public static Outcome TooLarge(long size) => new(SharedAnswerStatus.TooLarge, null, size);

        public static Outcome Ready(byte[] body) => new(SharedAnswerStatus.Ready, body, body.Length);
    }
}

/// <summary>What a shared build produced for a request.</summary>
internal enum SharedAnswerStatus
{
    /// <summary>The encoded answer, reserved in the budget (<see cref="SharedAnswer.Body"/>).</summary>
    Ready,

    /// <summary>No build turn or no room in the budget within the wait: answer "busy, retry".</summary>
    Busy,

    /// <summary>Larger than the limit (<see cref="SharedAnswer.Size"/>): answer "too large".</summary>
    TooLarge,
}

/// <summary>A reader's hold on a shared answer; dispose it once the answer has been written or has failed.</summary>
internal sealed class SharedAnswer : IDisposable
{
    private SharedAnswers.Group? _group;

    internal SharedAnswer(SharedAnswers.Group? group, SharedAnswers.Outcome outcome)
    {
        _group = group;
        Status = outcome.Status;
        Body = outcome.Body ?? [];
        Size = outcome.Size;
    }

    public SharedAnswerStatus Status { get; }

    /// <summary>The encoded answer (empty unless <see cref="Status"/> is <see cref="SharedAnswerStatus.Ready"/>); never modify it.</summary>
    public byte[] Body { get; }

    /// <summary>The encoded size, also when it was too large to keep.</summary>
    public long Size { get; }

    /// <summary>An answer built for one request only (no sharing set up), outside the budget.</summary>
    public static SharedAnswer Alone(byte[] body) => new(null, SharedAnswers.Outcome.Ready(body));

    public void Dispose() => Interlocked.Exchange(ref _group, null)?.Leave();
}
