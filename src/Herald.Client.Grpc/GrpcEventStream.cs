using Grpc.Core;
using Herald.Client.Bindings;
using Herald.Grpc.Conversion;
using Herald.Protocol;
using P = Lf.A2a.V1;

namespace Herald.Client.Grpc;

/// <summary>One server-streaming call read as a stream of items, each with the event id the server put in its metadata (when asked).</summary>
internal sealed class GrpcEventStream : A2AEventStream
{
    private readonly AsyncServerStreamingCall<P.StreamResponse> _call;
    private readonly CancellationToken _cancellationToken;
    private bool _started;
    private bool _hasFirst;
    private StreamResponse? _current;
    private string? _eventId;

    private GrpcEventStream(AsyncServerStreamingCall<P.StreamResponse> call, CancellationToken cancellationToken)
    {
        _call = call;
        _cancellationToken = cancellationToken;
    }

    public override StreamResponse Current => _current ?? throw new InvalidOperationException("MoveNextAsync has not returned an item.");

    public override string? CurrentEventId => _eventId;

    /// <summary>Reads the first item (or the end, or the refusal) before the stream is handed out; an error throws as <see cref="A2AException"/>.</summary>
    public static async Task<A2AEventStream> OpenAsync(AsyncServerStreamingCall<P.StreamResponse> call, CancellationToken cancellationToken)
    {
        var stream = new GrpcEventStream(call, cancellationToken);
        stream._hasFirst = await stream.ReadAsync(inStream: false).ConfigureAwait(false);
        return stream;
    }

    public override async ValueTask<bool> MoveNextAsync()
    {
        if (!_started)
        {
            _started = true;
            return _hasFirst;
        }

        return await ReadAsync(inStream: true).ConfigureAwait(false);
    }

    public override ValueTask DisposeAsync()
    {
        _call.Dispose(); // cancels the call if it is still running
        return ValueTask.CompletedTask;
    }

    private async Task<bool> ReadAsync(bool inStream)
    {
        try
        {
            if (!await _call.ResponseStream.MoveNext(_cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }
        catch (RpcException ex)
        {
            throw GrpcErrorMapper.Map(ex, inStream, _cancellationToken);
        }

        var message = _call.ResponseStream.Current;
        _eventId = GrpcEventIds.Take(message);
        _current = ProtoConvert.ToModel(message)
            ?? throw new A2AInvalidResponseException("A stream message must hold exactly one of task, message, statusUpdate and artifactUpdate; it holds none.");
        return true;
    }
}
