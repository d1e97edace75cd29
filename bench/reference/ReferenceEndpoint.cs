using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text.Json;
using Herald.Protocol;
using Microsoft.AspNetCore.Http.Features;

namespace Herald.Bench;

/// <summary>
/// The reference endpoint. Each stream writes its task's pre-serialized events itself, on the bench
/// schedule, flushing after every event; subscribers of a task started with SendMessage share only
/// the moment the chunks start.
/// </summary>
internal sealed class ReferenceEndpoint
{
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);
    private static readonly long TicksPerMicrosecond = Math.Max(1, Stopwatch.Frequency / 1_000_000);

    private readonly ConcurrentDictionary<string, ReferenceTask> _tasks = new(StringComparer.Ordinal);

    public async Task HandleAsync(HttpContext context)
    {
        using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var root = document.RootElement;
        var id = root.TryGetProperty("id", out var idElement) ? idElement.GetRawText() : "null";
        var method = root.GetProperty("method").GetString();
        var parameters = root.TryGetProperty("params", out var p) ? p : default;
        switch (method)
        {
            case "SendStreamingMessage" or "message/stream":
            {
                var task = Start(id, parameters, startNow: false);
                await StreamAsync(context, task.Templates, task, fromSubmitted: true);
                break;
            }

            case "SendMessage" or "message/send":
            {
                var task = Start(id, parameters, startNow: true);
                _tasks[task.Templates.TaskId] = task;
                context.Response.ContentType = "application/json";
                await context.Response.Body.WriteAsync(task.Templates.SendMessageResponse, context.RequestAborted);
                break;
            }

            case "SubscribeToTask" or "tasks/resubscribe":
            {
                var taskId = parameters.GetProperty("id").GetString()!;
                if (!_tasks.TryGetValue(taskId, out var task))
                {
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync($"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"error\":{{\"code\":-32001,\"message\":\"Task not found\"}}}}", context.RequestAborted);
                    return;
                }

                // Same task, this stream's request id in the envelope.
                var templates = new EventTemplates(id, task.Templates.TaskId, task.ContextId, task.UserMessage, task.Created);
                await StreamAsync(context, templates, task, fromSubmitted: false);
                break;
            }

            default:
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync($"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"error\":{{\"code\":-32601,\"message\":\"Method not found\"}}}}", context.RequestAborted);
                break;
        }
    }

    private static ReferenceTask Start(string requestId, JsonElement parameters, bool startNow)
    {
        var message = parameters.GetProperty("message");
        var text = "";
        foreach (var part in message.GetProperty("parts").EnumerateArray())
        {
            if (part.TryGetProperty("text", out var t))
            {
                text += t.GetString();
            }
        }

        var userMessage = new Message
        {
            MessageId = message.GetProperty("messageId").GetString()!,
            Role = Role.User,
            Parts = [Part.FromText(text)],
        };
        var taskId = Guid.NewGuid().ToString();
        var contextId = Guid.NewGuid().ToString();
        var created = DateTimeOffset.UtcNow;
        var task = new ReferenceTask(BenchCommand.Parse(text), contextId, userMessage, created, new EventTemplates(requestId, taskId, contextId, userMessage, created));
        if (startNow)
        {
            task.StartChunksLater();
        }

        return task;
    }

    private static async Task StreamAsync(HttpContext context, EventTemplates templates, ReferenceTask task, bool fromSubmitted)
    {
        var ct = context.RequestAborted;
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var writer = response.BodyWriter;
        var command = task.Command;
        try
        {
            EventTemplates.WriteRetry(writer);
            long sequence = 1;
            if (fromSubmitted)
            {
                templates.Write(writer, sequence++, templates.Submitted);
                await writer.FlushAsync(ct);
                templates.Write(writer, sequence++, templates.Working);
                await writer.FlushAsync(ct);
                if (command.StartMs > 0)
                {
                    await WaitAsync(writer, Stopwatch.GetTimestamp() + (long)(command.StartMs * Stopwatch.Frequency / 1000), ct);
                }

                task.StartChunksNow();
            }
            else
            {
                templates.Write(writer, 2, templates.WorkingSnapshot);
                await writer.FlushAsync(ct);
                sequence = 3;
            }

            var origin = await task.ChunksStart.WaitAsync(ct);
            for (var i = 1; i <= command.Count; i++)
            {
                if (command.DelayMs > 0)
                {
                    await WaitAsync(writer, command.DueTicks(origin, i), ct);
                }

                // A streaming send stamps the moment of writing (the latency scenario reads it); the
                // subscribers of one task stamp the chunk's due time, so that they all receive the
                // same bytes, as they would from a log.
                var timestamp = fromSubmitted ? BenchClock.NowMicroseconds() : (command.DueTicks(origin, i) / TicksPerMicrosecond);
                templates.WriteChunk(writer, sequence++, i, command.Count, timestamp);
                await writer.FlushAsync(ct);
            }

            templates.Write(writer, sequence, templates.Completed);
            await writer.FlushAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Waits until <paramref name="dueTicks"/>, writing a keep-alive comment every 15 s meanwhile.</summary>
    private static async Task WaitAsync(PipeWriter writer, long dueTicks, CancellationToken ct)
    {
        while (Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), dueTicks) > KeepAliveInterval)
        {
            await Task.Delay(KeepAliveInterval, ct);
            EventTemplates.WriteKeepAlive(writer);
            await writer.FlushAsync(ct);
        }

        await BenchPacer.WaitUntilAsync(dueTicks, ct);
    }

    private sealed class ReferenceTask(BenchCommand command, string contextId, Message userMessage, DateTimeOffset created, EventTemplates templates)
    {
        private readonly TaskCompletionSource<long> _chunksStart = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public BenchCommand Command { get; } = command;

        public string ContextId { get; } = contextId;

        public Message UserMessage { get; } = userMessage;

        public DateTimeOffset Created { get; } = created;

        public EventTemplates Templates { get; } = templates;

        /// <summary>Completes with the Stopwatch timestamp at which chunk 0 is due.</summary>
        public Task<long> ChunksStart => _chunksStart.Task;

        public void StartChunksNow() => _chunksStart.TrySetResult(Stopwatch.GetTimestamp());

        public void StartChunksLater() => _ = Task.Delay(TimeSpan.FromMilliseconds(Command.StartMs)).ContinueWith(
            _ => StartChunksNow(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
