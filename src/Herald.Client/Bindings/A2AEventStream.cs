using Herald.Protocol;

namespace Herald.Client.Bindings;

/// <summary>
/// One open stream of a binding (SendStreamingMessage, SubscribeToTask), read item by item by the client,
/// which resumes it when it drops. Implement it for a binding of your own (see <see cref="A2ABinding"/>).
/// </summary>
public abstract class A2AEventStream : IAsyncDisposable
{
    /// <summary>The current item.</summary>
    public abstract StreamResponse Current { get; }

    /// <summary>The current item's event id (Herald sends the task event's sequence), or null when the server sent none.</summary>
    public abstract string? CurrentEventId { get; }

    /// <summary>The reconnection delay the server asked for (SSE <c>retry:</c>), once known; null when it asked for none.</summary>
    public virtual TimeSpan? RetryInterval => null;

    /// <summary>
    /// Moves to the next item; false at a clean end of the stream. A broken transport must surface as
    /// <see cref="IOException"/> or <see cref="HttpRequestException"/> (the client then reconnects), an error
    /// the server sent within the stream as <see cref="A2AStreamErrorException"/>.
    /// </summary>
    public abstract ValueTask<bool> MoveNextAsync();

    /// <summary>Closes the stream (and its connection or call).</summary>
    public abstract ValueTask DisposeAsync();
}
