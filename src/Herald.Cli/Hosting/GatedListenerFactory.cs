using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Herald.Cli.Hosting;

/// <summary>
/// Wraps Kestrel's socket transport so that a connection is accepted only while the governor has an accept slot.
/// Kestrel's accept loop otherwise accepts as fast as the kernel hands connections over and queues each to the
/// thread pool before any limit looks at it (its connection limit counts a connection only once dispatched):
/// when the pool falls behind (a flood on a busy machine), accepted sockets pile up without bound and exhaust
/// the descriptors the limits were meant to protect. Waiting here leaves the excess in the kernel's backlog,
/// which costs no descriptor.
/// </summary>
internal sealed class GatedListenerFactory(IConnectionListenerFactory inner, ConnectionGovernor governor)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        new GatedListener(await inner.BindAsync(endpoint, cancellationToken).ConfigureAwait(false), governor);

    public bool CanBind(EndPoint endpoint) => inner is not IConnectionListenerFactorySelector selector || selector.CanBind(endpoint);

    private sealed class GatedListener(IConnectionListener inner, ConnectionGovernor governor) : IConnectionListener
    {
        private readonly CancellationTokenSource _unbound = new();

        public EndPoint EndPoint => inner.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                // Kestrel passes no token: unbinding is what ends a wait for a slot.
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _unbound.Token);
                await governor.WaitForAcceptSlotAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }

            ConnectionContext? connection;
            try
            {
                connection = await inner.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                governor.ReleaseAcceptSlot();
                throw;
            }

            if (connection is null)
            {
                governor.ReleaseAcceptSlot();
                return null;
            }

            ConnectionGovernor.MarkHoldsAcceptSlot(connection);
            return connection;
        }

        public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            await _unbound.CancelAsync().ConfigureAwait(false);
            await inner.UnbindAsync(cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            await _unbound.CancelAsync().ConfigureAwait(false);
            await inner.DisposeAsync().ConfigureAwait(false);
            _unbound.Dispose();
        }
    }
}
