using System.Diagnostics;

namespace Herald.LoadGen;

/// <summary>The transports of <see cref="StreamRecorder"/>: an SSE response over HTTP, a gRPC server stream.</summary>
internal sealed partial class StreamRecorder
{
    /// <summary>Sends <paramref name="request"/> and reads the SSE response until the server closes it.</summary>
    public async Task RunAsync(HttpClient http, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        StartTicks = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                var info = EventParser.Parse(body);
                Error = info.Kind == EventKind.Error && body.Length > 0 && !info.ErrorMessage!.StartsWith("invalid JSON", StringComparison.Ordinal)
                    ? $"A2A error {info.ErrorMessage}"
                    : A2AWire.Describe(response, body);
                return;
            }

            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await SseEventReader.ReadAsync(stream, this, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Error ??= "canceled by the load generator (time limit)";
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            Error ??= ex.GetType().Name + ": " + ex.Message;
        }
        finally
        {
            EndTicks = Stopwatch.GetTimestamp();
            FirstEvent.TrySetResult();
        }

        if (Error is null && FinalState is null)
        {
            Error = "the stream ended without a terminal or interrupted state";
        }
    }

    /// <summary>Starts a gRPC server-streaming call and reads its messages until the server ends the call.</summary>
    public async Task RunAsync(Func<CancellationToken, Grpc.Core.AsyncServerStreamingCall<RawMessage>> start, CancellationToken cancellationToken)
    {
        StartTicks = Stopwatch.GetTimestamp();
        try
        {
            using var call = start(cancellationToken);
            while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                var message = call.ResponseStream.Current;
                OnEvent(-1, message.Bytes, GrpcWire.Info(message.Message));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Error ??= "canceled by the load generator (time limit)";
        }
        catch (Grpc.Core.RpcException ex) when (ex.StatusCode == Grpc.Core.StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            Error ??= "canceled by the load generator (time limit)";
        }
        catch (Grpc.Core.RpcException ex)
        {
            Error ??= $"gRPC {ex.StatusCode}: {ex.Status.Detail}";
        }
        finally
        {
            EndTicks = Stopwatch.GetTimestamp();
            FirstEvent.TrySetResult();
        }

        if (Error is null && FinalState is null)
        {
            Error = "the stream ended without a terminal or interrupted state";
        }
    }
}
