using Grpc.Core;
using Herald.Server;
using Herald.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Herald.Grpc.Service;

/// <summary>
/// <see cref="HeraldOptions.WriteStallTimeout"/> for a gRPC call (unary answers and server streams): a write that makes
/// no progress for that long aborts the call (its HTTP/2 stream, or the HTTP/1 connection), logged once.
/// </summary>
internal static partial class GrpcWriteDeadline
{
    public static WriteDeadline Start(ServerCallContext context, HeraldOptions options, TimeProvider time, ILogger logger)
    {
        var http = context.GetHttpContext();
        var timeout = options.WriteStallTimeout;
        return new WriteDeadline(timeout, time, () =>
        {
            if (logger.IsEnabled(LogLevel.Information))
            {
                LogStalled(logger, http.Connection.Id, timeout.TotalSeconds);
            }

            http.Abort();
        });
    }

    /// <summary>A write under the deadline; a write the deadline cut ends the call quietly (the connection is gone).</summary>
    public static async Task WriteAsync(WriteDeadline deadline, Task write)
    {
        try
        {
            await deadline.WhenWritten(write).ConfigureAwait(false);
        }
        catch (Exception ex) when (deadline.Expired && ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            throw new OperationCanceledException("The client stopped reading; the write deadline aborted the connection.", ex);
        }
    }

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information,
        Message = "Connection {ConnectionId} aborted: a gRPC response write made no progress for {Seconds} s (WriteStallTimeout); the client stopped reading")]
    private static partial void LogStalled(ILogger logger, string connectionId, double seconds);
}
