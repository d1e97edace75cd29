using Google.Protobuf;
using Grpc.Core;
using Herald.Grpc.Conversion;
using Herald.Server;
using Herald.Server.Hosting;
using Herald.Server.Storage;
using P = Lf.A2a.V1;

namespace Herald.Grpc.Service;

/// <summary>
/// Writes a <see cref="TaskStream"/> as a server stream of <c>StreamResponse</c> messages: the direct reply, or
/// the snapshot (when not resuming) and then each event in log order, each event's shared pre-encoded bytes.
/// The stream's rules (position, end, shutdown) are the <see cref="TaskStream"/>'s. Messages of one batch
/// leave in one flush (and at most <see cref="FlushBytes"/> wait), as on SSE. Keep-alive ticks are ignored:
/// HTTP/2 has its own pings (Kestrel's <c>Http2.KeepAlivePingDelay</c>).
/// </summary>
internal static class GrpcStreamWriter
{
    /// <summary>Unflushed output that triggers a flush inside a batch.</summary>
    public const int FlushBytes = 32 * 1024;

    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);
    private static readonly WriteOptions Flushed = new();

    /// <remarks>
    /// The first item (a reply or the task snapshot) is reserved in <paramref name="budget"/> until it has left; every
    /// write runs under <paramref name="deadline"/>.
    /// </remarks>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED: the budget had no room for the first item (nothing was written).</exception>
    public static async Task WriteAsync(
        TaskStream stream, IServerStreamWriter<EncodedMessage> writer, ServerCallContext context, bool withIds, bool withGeneration, ResponseBudget budget, WriteDeadline deadline)
    {
        writer.WriteOptions = Flushed;
        if (stream.Reply is { } reply)
        {
            await WriteFirstAsync(Encode(new P.StreamResponse { Message = ProtoConvert.ToProto(reply) }), writer, context, budget, deadline).ConfigureAwait(false);
            return;
        }

        if (stream.Snapshot is { } snapshot)
        {
            var first = new P.StreamResponse { Task = ProtoConvert.ToProto(snapshot.Task) };
            if (!withGeneration)
            {
                first.Task.Generation = 0;
            }

            if (withIds)
            {
                GrpcEventIds.Stamp(first, snapshot.Sequence);
            }

            await WriteFirstAsync(Encode(first), writer, context, budget, deadline).ConfigureAwait(false);
        }
        else
        {
            // Resuming: the response headers go now, so the client knows the call was accepted before the next event, which may be a while.
            await GrpcWriteDeadline.WriteAsync(deadline, context.WriteResponseHeadersAsync([])).ConfigureAwait(false);
        }

        var encoding = ProtoEventEncoding.For(withIds, withGeneration);
        var events = new List<TaskEvent>();
        while (true)
        {
            events.Clear();
            var read = await stream.ReadAsync(events, context.CancellationToken).ConfigureAwait(false);
            if (read == TaskStreamRead.End)
            {
                return;
            }

            if (read == TaskStreamRead.KeepAlive)
            {
                continue;
            }

            var pending = 0L;
            for (var i = 0; i < events.Count; i++)
            {
                var bytes = events[i].GetEncoded(encoding);
                pending += bytes.Length;
                var flush = i == events.Count - 1 || pending >= FlushBytes;
                writer.WriteOptions = flush ? Flushed : Buffered;
                await GrpcWriteDeadline.WriteAsync(deadline, writer.WriteAsync(new EncodedMessage(bytes))).ConfigureAwait(false);
                if (flush)
                {
                    pending = 0;
                }
            }
        }
    }

    private static async Task WriteFirstAsync(EncodedMessage first, IServerStreamWriter<EncodedMessage> writer, ServerCallContext context, ResponseBudget budget, WriteDeadline deadline)
    {
        var size = first.Bytes.Length;
        if (!await budget.TryReserveAsync(size, context.CancellationToken).ConfigureAwait(false))
        {
            throw GrpcErrors.Busy();
        }

        try
        {
            await GrpcWriteDeadline.WriteAsync(deadline, writer.WriteAsync(first)).ConfigureAwait(false);
        }
        finally
        {
            budget.Release(size);
        }
    }

    private static EncodedMessage Encode(P.StreamResponse response) => new(response.ToByteArray());
}
