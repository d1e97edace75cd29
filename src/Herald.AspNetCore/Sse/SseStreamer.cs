using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using Herald.AspNetCore.Http;
using Herald.Protocol;
using Herald.Server;
using Herald.Server.Hosting;
using Herald.Server.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Herald.AspNetCore.Sse;

/// <summary>
/// Writes a <see cref="TaskStream"/> as Server-Sent Events, for every binding and dialect: headers,
/// <c>retry:</c> once, the first item, then each event as <c>data:</c> (first, so that parsers that only
/// read lines starting with <c>data: </c> see it) with <c>id: &lt;sequence&gt;</c> (none when the format is
/// <see cref="SseStreamFormat.DataOnly"/>), keep-alive comments, and a clean end. The stream's rules (position,
/// end, keep-alive timing, shutdown) are the <see cref="TaskStream"/>'s; this class only frames. Output is flushed after every batch and whenever
/// <see cref="FlushBytes"/> are waiting, so a stream never holds more than that much for a client, and
/// every write completes whole events: a stream ends on an event boundary.
/// </summary>
internal static partial class SseStreamer
{
    /// <summary>Unflushed output that triggers a flush inside a batch.</summary>
    public const int FlushBytes = 32 * 1024;

    private static readonly byte[] StatusUpdateName = "status-update"u8.ToArray();
    private static readonly byte[] ArtifactUpdateName = "artifact-update"u8.ToArray();

    public static void StartResponse(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    /// <param name="context">The request being answered.</param>
    /// <param name="stream">The stream to write; disposed by the caller.</param>
    /// <param name="format">The dialect's item bytes.</param>
    /// <param name="prefix">Written before each item's bytes (the per-stream envelope's start).</param>
    /// <param name="suffix">Written after each item's bytes.</param>
    /// <param name="error">The complete data of an error event that ends the stream.</param>
    /// <param name="options">Retry, keep-alive and naming settings.</param>
    /// <param name="logger">For unexpected failures.</param>
    public static async Task WriteAsync(
        HttpContext context,
        TaskStream stream,
        SseStreamFormat format,
        byte[] prefix,
        byte[] suffix,
        Func<A2AException, byte[]> error,
        HeraldOptions options,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var aborted = context.RequestAborted;
        var limit = options.MaxResponseBytes;

        // The first item (a direct reply, or the whole task) is encoded before the response starts, so that its size is
        // reserved in the server's response budget first: a busy server answers 503 instead of opening the stream.
        byte[]? first = null;
        ExceptionDispatchInfo? firstFailed = null;
        try
        {
            first = stream.Reply is { } r ? format.Reply(r) : stream.Snapshot is { } s ? format.Snapshot(s.Task) : null;
        }
        catch (Exception ex)
        {
            firstFailed = ExceptionDispatchInfo.Capture(ex);
        }

        var budget = ResponseLimit.Budget(context);
        long reserved = 0;
        if (budget is not null && first is not null && first.Length <= limit)
        {
            if (!await budget.TryReserveAsync(first.Length, aborted).ConfigureAwait(false))
            {
                throw ResponseLimit.Busy();
            }

            reserved = first.Length;
        }

        StartResponse(context);
        var writer = context.Response.BodyWriter;
        var dataOnly = format.DataOnly;
        var named = !dataOnly && (options.NamedSseEvents || format.EventName is not null);
        var eventName = dataOnly ? null : format.EventName;
        var eventPrefix = format.EventsAreWhole ? [] : prefix;
        var eventSuffix = format.EventsAreWhole ? [] : suffix;
        using var deadline = HttpWriteDeadline.Start(context);
        SseWriter.WriteRetry(writer, options.SseRetry);
        try
        {
            firstFailed?.Throw();
            if (first is not null && first.Length > limit)
            {
                // The first item is the whole task: as large as a GetTask answer, and held to the same limit.
                throw ResponseLimit.TooLarge(context, first.Length, limit);
            }

            if (stream.Reply is not null)
            {
                SseWriter.WriteEvent(writer, null, named ? "message"u8 : default, prefix, first, suffix);
                await deadline.WhenWritten(writer.FlushAsync(aborted)).ConfigureAwait(false);
                return;
            }

            if (stream.Snapshot is { } snapshot)
            {
                SseWriter.WriteEvent(writer, dataOnly ? null : snapshot.Sequence, named ? "task"u8 : default, prefix, first, suffix);
            }

            // Headers (and retry:, and the snapshot) go at once, not with the first event, which may be a while.
            var flushed = await deadline.WhenWritten(writer.FlushAsync(aborted)).ConfigureAwait(false);
            Release(budget, ref reserved);
            first = null;
            var events = new List<TaskEvent>();
            while (!flushed.IsCompleted)
            {
                events.Clear();
                var read = await stream.ReadAsync(events, aborted).ConfigureAwait(false);
                if (read == TaskStreamRead.End)
                {
                    return;
                }

                if (read == TaskStreamRead.KeepAlive)
                {
                    SseWriter.WriteKeepAlive(writer);
                    flushed = await deadline.WhenWritten(writer.FlushAsync(aborted)).ConfigureAwait(false);
                    continue;
                }

                var pending = 0L;
                foreach (var e in events)
                {
                    var payload = format.Event(e);
                    var name = eventName is not null ? eventName(e) : named ? EventName(e) : null;
                    SseWriter.WriteEvent(writer, dataOnly ? null : e.Sequence, name, eventPrefix, payload.Span, eventSuffix);
                    pending += payload.Length + eventPrefix.Length + eventSuffix.Length + (name?.Length ?? 0) + 32;
                    if (pending >= FlushBytes)
                    {
                        pending = 0;
                        flushed = await deadline.WhenWritten(writer.FlushAsync(aborted)).ConfigureAwait(false);
                        if (flushed.IsCompleted)
                        {
                            return;
                        }
                    }
                }

                // One flush per batch: a fast producer's events leave together, each still its own SSE event.
                flushed = await deadline.WhenWritten(writer.FlushAsync(aborted)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (A2AException ex)
        {
            await WriteErrorEventAsync(writer, format.ErrorEventName, error(ex)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogUnhandled(logger, ex);
            await WriteErrorEventAsync(writer, format.ErrorEventName, error(new A2AException(A2AErrorCodes.InternalError, "Internal error"))).ConfigureAwait(false);
        }
        finally
        {
            Release(budget, ref reserved);
        }
    }

    private static void Release(ResponseBudget? budget, ref long reserved)
    {
        if (reserved > 0)
        {
            budget!.Release(reserved);
            reserved = 0;
        }
    }

    /// <summary>An error as the only event of a stream (a streaming method refused before it started).</summary>
    public static async Task WriteErrorStreamAsync(HttpContext context, byte[] data, HeraldOptions options, ReadOnlyMemory<byte> eventName = default)
    {
        StartResponse(context);
        SseWriter.WriteRetry(context.Response.BodyWriter, options.SseRetry);
        await WriteErrorEventAsync(context.Response.BodyWriter, eventName, data).ConfigureAwait(false);
    }

    private static byte[] EventName(TaskEvent e) => e.Kind == TaskEventKind.Status ? StatusUpdateName : ArtifactUpdateName;

    private static async Task WriteErrorEventAsync(PipeWriter writer, ReadOnlyMemory<byte> eventName, byte[] data)
    {
        try
        {
            SseWriter.WriteEvent(writer, null, eventName.Span, default, data, default);
            await writer.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The connection is already gone.
        }
    }

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Unhandled error while streaming")]
    private static partial void LogUnhandled(ILogger logger, Exception exception);
}
