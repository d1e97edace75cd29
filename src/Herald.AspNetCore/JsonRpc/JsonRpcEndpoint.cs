using System.Text.Json;
using Herald.AspNetCore.JsonRpc.V1;
using Herald.AspNetCore.Sse;
using Herald.Protocol;
using Herald.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Herald.AspNetCore.JsonRpc;

/// <summary>
/// The JSON-RPC binding's one POST endpoint: reads and checks the envelope, selects the protocol
/// version, hands the request to that version's method table, and turns errors into JSON-RPC answers.
/// The request body is released as soon as the method has read its params; only the id is kept.
/// </summary>
internal sealed partial class JsonRpcEndpoint(IHeraldEngine engine, HeraldOptions options, ILogger<JsonRpcEndpoint> logger)
{
    private static readonly string[] SupportedVersions = ["1.0"];

    private readonly V1JsonRpcMethods _v1 = new(engine, options, logger);

    public async Task HandleAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        var idJson = JsonRpcRequestReader.NullId;
        try
        {
            JsonRpcCall? call;
            using (var document = await JsonRpcRequestReader.ReadAsync(context, options).ConfigureAwait(false))
            {
                if (document is null)
                {
                    return; // 413 already written
                }

                var request = JsonRpcRequestReader.Validate(document.RootElement, options.MaxRequestIdLength, out idJson);
                CheckVersion(context.Request);

                // Params are read into typed requests here; the document (the whole body) goes when this block ends.
                call = _v1.Prepare(request);
            }

            await call.ExecuteAsync(context, aborted).ConfigureAwait(false);
        }
        catch (A2AException ex)
        {
            await JsonRpcResponses.WriteErrorAsync(context, idJson, ex).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception ex)
        {
            LogUnhandled(logger, ex);
            await JsonRpcResponses.WriteErrorAsync(context, idJson, new A2AException(A2AErrorCodes.InternalError, "Internal error")).ConfigureAwait(false);
        }
    }

    private static void CheckVersion(HttpRequest request)
    {
        var value = request.Headers["A2A-Version"].ToString();
        if (string.IsNullOrWhiteSpace(value))
        {
            value = request.Query["A2A-Version"].ToString();
        }

        value = value.Trim();
        if (value is "1.0" or "1" || value.StartsWith("1.0.", StringComparison.Ordinal))
        {
            return;
        }

        var requested = string.IsNullOrEmpty(value) ? "0.3 (assumed when no A2A-Version is sent)" : $"'{Truncate(value)}'";
        throw new A2AException(A2AErrorCodes.VersionNotSupported,
            $"A2A protocol version {requested} is not supported; this endpoint speaks {string.Join(", ", SupportedVersions)}. Send the header A2A-Version: 1.0.")
        {
            Details = new Dictionary<string, string> { ["supportedVersions"] = string.Join(",", SupportedVersions) },
        };
    }

    /// <summary>The client's <c>Last-Event-ID</c>, when it sent one.</summary>
    public static long? ParseLastEventId(HttpRequest request) => LastEventId.Parse(request);

    /// <summary>Client-supplied text quoted in an error message, cut to a readable length.</summary>
    public static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Unhandled error in the JSON-RPC endpoint")]
    private static partial void LogUnhandled(ILogger logger, Exception exception);
}

/// <summary>A method call whose params have been read: it runs after the request body is released.</summary>
internal abstract class JsonRpcCall
{
    public abstract Task ExecuteAsync(HttpContext context, CancellationToken cancellationToken);
}

/// <summary>A call made of a delegate.</summary>
internal sealed class DelegateCall(Func<HttpContext, CancellationToken, Task> execute) : JsonRpcCall
{
    public override Task ExecuteAsync(HttpContext context, CancellationToken cancellationToken) => execute(context, cancellationToken);
}
