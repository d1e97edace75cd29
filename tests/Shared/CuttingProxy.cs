using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Herald.Testing;

/// <summary>
/// A TCP proxy on 127.0.0.1 that forwards bytes both ways and, on demand, cuts every open connection
/// with a reset - what a dropped network or a restarted load balancer looks like to the client.
/// </summary>
internal sealed class CuttingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<int> _targetPort;
    private readonly ConcurrentDictionary<int, (Socket Client, Socket Server)> _open = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _next;

    public CuttingProxy(int targetPort)
        : this(() => targetPort)
    {
    }

    /// <summary>A proxy whose target is known only once a connection arrives: for a server that must advertise the proxy's address, and so starts after it.</summary>
    public CuttingProxy(Func<int> targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _next);

    /// <summary>The same URL through the proxy.</summary>
    public Uri Through(Uri url) => new UriBuilder(url) { Port = Port }.Uri;

    /// <summary>Resets every open connection; returns how many were cut.</summary>
    public int CutAll()
    {
        var cut = 0;
        foreach (var (key, pair) in _open)
        {
            if (_open.TryRemove(key, out _))
            {
                Reset(pair.Client);
                Reset(pair.Server);
                cut++;
            }
        }

        return cut;
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        var key = Interlocked.Increment(ref _next);
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await server.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _targetPort()), _stop.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            Reset(client);
            server.Dispose();
            return;
        }

        _open[key] = (client, server);
        await Task.WhenAll(PumpAsync(client, server), PumpAsync(server, client));
        if (_open.TryRemove(key, out _))
        {
            client.Dispose();
            server.Dispose();
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Reset(from);
            Reset(to);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CutAll();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
