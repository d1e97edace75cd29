using Grpc.Core;
using Herald.Client.Bindings;
using Herald.Grpc.Conversion;
using Herald.Protocol;
using P = Lf.A2a.V1;

namespace Herald.Client.Grpc;

/// <summary>One server-streaming call read as a stream of items, each with the event id the server put in its metadata (when asked).</summary>
internal sealed class GrpcEventStream(AsyncServerStreamingCall<P.StreamResponse> call, CancellationToken cancellationToken) : A2AEventStream
{
    private StreamResponse? _current;
    private string? _eventId;

    public override StreamResponse Current => _current ?? throw new InvalidOperationException("MoveNextAsync has not returned an item.");

    public override string? CurrentEventId => _eventId;

    public override async ValueTask<bool> MoveNextAsync()
    {
        try
        {
            if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }
        catch (RpcException ex)
        {
            throw GrpcErrorMapper.Map(ex, inStream: true, cancellationToken);
        }

        var message = call.ResponseStream.Current;
        _eventId = GrpcEventIds.Take(message);
        _current = ProtoConvert.ToModel(message)
            ?? throw new A2AInvalidResponseException("A stream message must hold exactly one of task, message, statusUpdate and artifactUpdate; it holds none.");
        return true;
    }

    public override ValueTask DisposeAsync()
    {
        call.Dispose(); // cancels the call if it is still running
        return ValueTask.CompletedTask;
    }
}
