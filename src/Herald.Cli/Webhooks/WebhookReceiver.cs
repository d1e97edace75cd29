using System.Buffers;
using System.Text;
using System.Text.Json;
using Herald.Cli.Output;
using Herald.Protocol;
using Herald.Protocol.Signing;
using Microsoft.AspNetCore.Http;

namespace Herald.Cli.Webhooks;

/// <summary>
/// What <c>herald webhook</c> does with each POST: reads the push notification (a v1.0 <c>StreamResponse</c>), checks its
/// signature when a key set is given (401 when it does not verify), drops a (task id, sequence) it already received (and
/// says so), prints one line, and answers 200.
/// </summary>
internal sealed class WebhookReceiver(TextWriter output, bool json, JwksSource? jwks, TimeProvider timeProvider) : IDisposable
{
    /// <summary>Largest body accepted: Herald's largest event is 4 MiB of JSON by default.</summary>
    public const int MaxBodyBytes = 8 * 1024 * 1024;

    /// <summary>How many (task, sequence) pairs are remembered for dropping duplicates; then the memory starts over.</summary>
    private const int MaxRemembered = 100_000;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HashSet<(string TaskId, long Sequence)> _seen = [];

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        var body = await ReadBodyAsync(request, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await WriteAsync("refused: a body larger than 8 MiB").ConfigureAwait(false);
            return;
        }

        StreamResponse? response;
        try
        {
            response = JsonSerializer.Deserialize(body, A2AJsonContext.Default.StreamResponse);
        }
        catch (JsonException ex)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await WriteAsync($"refused: the body is not a StreamResponse ({ex.Message})").ConfigureAwait(false);
            return;
        }

        var taskId = Header(request, PushNotificationHeaders.TaskId) ?? TaskIdOf(response);
        long? sequence = long.TryParse(Header(request, PushNotificationHeaders.EventSequence), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : null;
        string? signature = null;
        if (jwks is not null)
        {
            var (verified, reason) = await VerifyAsync(request, body, taskId, sequence, context.RequestAborted).ConfigureAwait(false);
            if (!verified)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await WriteAsync(json
                    ? Line(taskId, sequence, response, body, duplicate: false, signature: "not verified", reason)
                    : $"{Describe(taskId, sequence)} refused: signature not verified: {reason}").ConfigureAwait(false);
                return;
            }

            signature = "verified";
        }

        bool duplicate;
        await _gate.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        try
        {
            if (_seen.Count >= MaxRemembered)
            {
                _seen.Clear();
            }

            duplicate = taskId is not null && sequence is { } seq && !_seen.Add((taskId, seq));
        }
        finally
        {
            _gate.Release();
        }

        await WriteAsync(json
            ? Line(taskId, sequence, response, body, duplicate, signature, null)
            : Text(taskId, sequence, response, duplicate, signature)).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    public void Dispose() => _gate.Dispose();

    private async Task<(bool Verified, string Reason)> VerifyAsync(HttpRequest request, byte[] body, string? taskId, long? sequence, CancellationToken cancellationToken)
    {
        if (Header(request, PushNotificationHeaders.Signature) is not { Length: > 0 } jwt)
        {
            return (false, $"no {PushNotificationHeaders.Signature} header");
        }

        string keys;
        try
        {
            keys = await jwks!.GetAsync(refresh: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException)
        {
            return (false, $"the key set could not be read: {ex.Message}");
        }

        var check = PushNotificationSignature.Verify(jwt, body, keys, timeProvider.GetUtcNow());
        if (!check.Verified && check.Reason.StartsWith("no key in the JWKS", StringComparison.Ordinal))
        {
            // The server may have a new key since the set was read.
            keys = await jwks.GetAsync(refresh: true, cancellationToken).ConfigureAwait(false);
            check = PushNotificationSignature.Verify(jwt, body, keys, timeProvider.GetUtcNow());
        }

        if (!check.Verified)
        {
            return (false, check.Reason);
        }

        if (check.Claims!.TaskId != taskId || check.Claims.Sequence != sequence)
        {
            return (false, $"the signature is for task {check.Claims.TaskId} event {check.Claims.Sequence}, not for the delivery's");
        }

        return (true, "verified");
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            var read = await request.Body.ReadAsync(buffer.GetMemory(16 * 1024), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > MaxBodyBytes)
            {
                return null;
            }
        }
    }

    private async Task WriteAsync(string line)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await output.WriteLineAsync(line).ConfigureAwait(false);
            await output.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static string Describe(string? taskId, long? sequence) => $"task {taskId ?? "?"} #{sequence?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}";

    /// <summary><c>task T #3 status working: text</c>, <c>task T #4 artifact NAME: text</c>, ...; duplicates say so.</summary>
    private static string Text(string? taskId, long? sequence, StreamResponse? response, bool duplicate, string? signature)
    {
        var line = new StringBuilder(Describe(taskId, sequence)).Append(' ');
        if (duplicate)
        {
            line.Append("duplicate (already received; dropped)");
        }
        else if (response?.StatusUpdate is { } update)
        {
            line.Append("status ").Append(Display.State(update.Status.State));
            if (update.Status.Message is { } message)
            {
                line.Append(": ").Append(Display.OneLine(Display.Parts(message.Parts)));
            }
        }
        else if (response?.ArtifactUpdate is { } artifact)
        {
            line.Append("artifact ").Append(artifact.Artifact.Name ?? artifact.Artifact.ArtifactId).Append(": ")
                .Append(Display.OneLine(Display.Parts(artifact.Artifact.Parts)));
        }
        else if (response?.Task is { } task)
        {
            line.Append("task ").Append(Display.State(task.Status.State));
        }
        else if (response?.Message is { } message)
        {
            line.Append("message ").Append(Display.Role(message.Role)).Append(": ").Append(Display.OneLine(Display.Parts(message.Parts)));
        }
        else
        {
            line.Append("unknown event");
        }

        if (signature is not null)
        {
            line.Append(" [signature ").Append(signature).Append(']');
        }

        return line.ToString();
    }

    /// <summary><c>{"taskId":..,"sequence":7,"kind":"statusUpdate","duplicate":false,"signature":"verified","response":{...}}</c>: the body as received.</summary>
    private static string Line(string? taskId, long? sequence, StreamResponse? response, byte[] body, bool duplicate, string? signature, string? reason)
    {
        var buffer = new ArrayBufferWriter<byte>(body.Length + 256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("taskId", taskId);
            if (sequence is { } seq)
            {
                writer.WriteNumber("sequence", seq);
            }
            else
            {
                writer.WriteNull("sequence");
            }

            writer.WriteString("kind", response is null ? "unknown" : JsonLines.Kind(response));
            writer.WriteBoolean("duplicate", duplicate);
            if (signature is not null)
            {
                writer.WriteString("signature", signature);
            }

            if (reason is not null)
            {
                writer.WriteString("reason", reason);
            }

            writer.WritePropertyName("response");
            writer.WriteRawValue(body, skipInputValidation: false);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string? Header(HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    private static string? TaskIdOf(StreamResponse? response) =>
        response?.StatusUpdate?.TaskId ?? response?.ArtifactUpdate?.TaskId ?? response?.Task?.Id ?? response?.Message?.TaskId;
}
