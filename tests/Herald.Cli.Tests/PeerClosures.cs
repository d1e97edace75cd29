using System.Net.Sockets;

namespace Herald.Cli.Tests;

/// <summary>
/// Watches client sockets that never send anything and counts those the server closed (end of stream or reset),
/// as the closes happen: one pending receive per socket, no polling.
/// </summary>
internal sealed class PeerClosures
{
    private readonly Lock _gate = new();
    private readonly List<(int Target, TaskCompletionSource Reached)> _waiters = [];
    private int _closed;

    public PeerClosures(IReadOnlyList<Socket> sockets, CancellationToken cancellationToken)
    {
        foreach (var socket in sockets)
        {
            _ = WatchAsync(socket, cancellationToken);
        }
    }

    public int Closed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    /// <summary>Completes once at least <paramref name="count"/> sockets were closed by the server.</summary>
    public Task WhenAtLeastAsync(int count)
    {
        lock (_gate)
        {
            if (_closed >= count)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
            return reached.Task;
        }
    }

    private async Task WatchAsync(Socket socket, CancellationToken cancellationToken)
    {
        try
        {
            // The server sends nothing unasked: any completion is the connection ending.
            _ = await socket.ReceiveAsync(new byte[1], SocketFlags.None, cancellationToken);
        }
        catch (SocketException)
        {
            // Reset by the server: closed too.
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // The test closed it: not counted.
            return;
        }

        lock (_gate)
        {
            _closed++;
            foreach (var waiter in _waiters.Where(w => _closed >= w.Target).ToList())
            {
                waiter.Reached.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }
}
