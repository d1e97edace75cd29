using System.Diagnostics.Metrics;
using Herald.Server;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Herald.Cli.Hosting;

/// <summary>
/// Holds at most <see cref="Limit"/> connections without letting idle ones lock everybody out. Kestrel's own limit
/// refuses every new connection once full, so a client that opens connections and sends nothing takes the server
/// off the air while holding them. Here, when full, the connection idle the longest (waiting for its first or next
/// request) is closed to make room, as nginx does with keep-alive connections when it runs out; only when every
/// connection is in the middle of a request (a stream, say) is the new one refused.
/// </summary>
/// <remarks>
/// Accepting is gated separately (<see cref="GatedListenerFactory"/>): at most <c>acceptLimit</c> sockets, a little
/// more than <see cref="Limit"/>, are open at once, counting those just closed to make room or refused.
/// </remarks>
internal sealed class ConnectionGovernor(int limit, int acceptLimit, ILogger<ConnectionGovernor>? logger, TimeProvider time) : IDisposable
{
    /// <summary>The connection item that says the connection took an accept slot, released when it ends.</summary>
    private static readonly object AcceptSlotKey = new();

    /// <summary>Full-capacity warnings are logged at most this often: under a flood there would be one per connection.</summary>
    private static readonly TimeSpan WarningInterval = TimeSpan.FromMinutes(1);

    /// <summary>
    /// What the governor did when full, on Herald's meter (<see cref="HeraldDiagnostics.Name"/>): <c>herald.governor.action</c>
    /// is <c>closed_idle</c> (the longest idle connection closed to make room) or <c>refused</c> (every one was busy).
    /// </summary>
    private static readonly Counter<long> Governed = new Meter(HeraldDiagnostics.Name).CreateCounter<long>(
        "herald.connections.governed", "{connection}", "Connections the connection governor closed to make room or refused when full");

    private readonly Lock _gate = new();

    /// <summary>Connections with no request in progress, longest idle first.</summary>
    private readonly LinkedList<Tracked> _idle = new();

    private readonly Dictionary<string, Tracked> _byId = new(StringComparer.Ordinal);
    private int _open;
    private long _closedIdle;
    private long _refused;
    private long _lastWarning = long.MinValue;

    private readonly SemaphoreSlim _acceptSlots = new(Math.Max(acceptLimit, limit), Math.Max(acceptLimit, limit));

    public int Limit { get; } = limit > 0 ? limit : throw new ArgumentOutOfRangeException(nameof(limit), limit, "The connection limit must be positive.");

    /// <summary>Connections held now.</summary>
    public int Open
    {
        get
        {
            lock (_gate)
            {
                return _open;
            }
        }
    }

    /// <summary>Idle connections closed so far to make room.</summary>
    public long ClosedIdle => Interlocked.Read(ref _closedIdle);

    /// <summary>New connections refused so far because every held one was busy.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Sockets accepted and not yet closed.</summary>
    public int Accepted => Math.Max(acceptLimit, limit) - _acceptSlots.CurrentCount;

    /// <summary>Waits until fewer than the accept limit of sockets are open.</summary>
    public Task WaitForAcceptSlotAsync(CancellationToken cancellationToken) => _acceptSlots.WaitAsync(cancellationToken);

    /// <summary>Gives back a slot taken for an accept that produced no connection.</summary>
    public void ReleaseAcceptSlot() => _acceptSlots.Release();

    /// <summary>Records that <paramref name="connection"/> holds an accept slot, for <see cref="OnConnectionAsync"/> to give back.</summary>
    public static void MarkHoldsAcceptSlot(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        connection.Items[AcceptSlotKey] = AcceptSlotKey;
    }

    /// <summary>Connection middleware (<c>ListenOptions.Use</c>): admits, makes room, or refuses.</summary>
    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            await AdmitAsync(connection, next).ConfigureAwait(false);
        }
        finally
        {
            // The socket is about to be closed by Kestrel: room for the next accept.
            if (connection.Items.Remove(AcceptSlotKey))
            {
                _acceptSlots.Release();
            }
        }
    }

    private async Task AdmitAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var tracked = new Tracked(connection);
        Tracked? victim = null;
        bool admitted;
        lock (_gate)
        {
            if (_open >= Limit && _idle.First is { } oldest)
            {
                victim = oldest.Value;
                Forget(victim);
                victim.ClosedToMakeRoom = true;
            }

            admitted = _open < Limit;
            if (admitted)
            {
                _open++;
                _byId[connection.ConnectionId] = tracked;
                tracked.IdleNode = _idle.AddLast(tracked);
            }
        }

        if (victim is not null)
        {
            Interlocked.Increment(ref _closedIdle);
            Governed.Add(1, new KeyValuePair<string, object?>("herald.governor.action", "closed_idle"));
            WarnFull(refusing: false);
            victim.Connection.Abort(new ConnectionAbortedException("Closed to make room: the connection limit was reached and this connection was idle."));
        }

        if (!admitted)
        {
            Interlocked.Increment(ref _refused);
            Governed.Add(1, new KeyValuePair<string, object?>("herald.governor.action", "refused"));
            WarnFull(refusing: true);
            connection.Abort(new ConnectionAbortedException("Refused: the connection limit was reached and every connection is busy."));
            return;
        }

        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                if (!tracked.ClosedToMakeRoom)
                {
                    Forget(tracked);
                }
            }
        }
    }

    /// <summary>Disposed with the host's services, after Kestrel stopped accepting.</summary>
    public void Dispose() => _acceptSlots.Dispose();

    /// <summary>Request middleware: a connection is busy from the start of a request until its response is complete.</summary>
    public Task OnRequestAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        Tracked? tracked;
        lock (_gate)
        {
            if (_byId.TryGetValue(context.Connection.Id, out tracked) && tracked.ActiveRequests++ == 0 && tracked.IdleNode is { } node)
            {
                _idle.Remove(node);
                tracked.IdleNode = null;
            }
        }

        if (tracked is not null)
        {
            // OnCompleted, not the end of next(): the response may still be flushing when the pipeline returns,
            // and closing the connection then would cut it.
            context.Response.OnCompleted(static state =>
            {
                var (governor, tracked) = ((ConnectionGovernor, Tracked))state;
                governor.RequestEnded(tracked);
                return Task.CompletedTask;
            }, (this, tracked));
        }

        return next(context);
    }

    private void RequestEnded(Tracked tracked)
    {
        lock (_gate)
        {
            if (--tracked.ActiveRequests == 0 && !tracked.ClosedToMakeRoom && _byId.ContainsKey(tracked.Connection.ConnectionId))
            {
                tracked.IdleNode = _idle.AddLast(tracked);
            }
        }
    }

    /// <summary>Stops counting a connection (under the lock).</summary>
    private void Forget(Tracked tracked)
    {
        if (_byId.Remove(tracked.Connection.ConnectionId))
        {
            _open--;
        }

        if (tracked.IdleNode is { } node)
        {
            _idle.Remove(node);
            tracked.IdleNode = null;
        }
    }

    private void WarnFull(bool refusing)
    {
        if (logger is null)
        {
            return;
        }

        var now = time.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarning);
        if (last != long.MinValue && time.GetElapsedTime(last, now) < WarningInterval)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            ServeLog.ConnectionLimitReached(logger, Limit, refusing ? "every connection is busy: refusing new ones" : "closing the longest idle ones to make room");
        }
    }

    private sealed class Tracked(ConnectionContext connection)
    {
        public ConnectionContext Connection { get; } = connection;

        public int ActiveRequests { get; set; }

        public LinkedListNode<Tracked>? IdleNode { get; set; }

        public bool ClosedToMakeRoom { get; set; }
    }
}
