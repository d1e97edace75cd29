using System.Globalization;
using Herald.Protocol;
using Herald.Server;
using Herald.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Herald.AspNetCore.Http;

/// <summary>
/// <see cref="HeraldOptions.MaxResponseBytes"/>, for every HTTP binding: a unary answer, and a stream's first item
/// (the whole task), larger than it is refused with an error that says how to ask for less. And the server's
/// <see cref="ResponseBudget"/>: bytes in flight and whole tasks built at once, with the "busy" answer.
/// </summary>
internal static class ResponseLimit
{
    /// <summary>The server's <see cref="HeraldOptions.MaxResponseBytes"/>.</summary>
    public static long Of(HttpContext context) =>
        context.RequestServices.GetService<IOptions<HeraldOptions>>()?.Value.MaxResponseBytes ?? long.MaxValue;

    /// <summary>The server's response budget (null when Herald's services are not registered, as in some tests).</summary>
    public static ResponseBudget? Budget(HttpContext context) => (context.RequestServices as IServiceProvider)?.GetService<ResponseBudget>();

    /// <summary>
    /// Runs an engine call that builds whole tasks for a unary answer in a turn of the budget's snapshot gate
    /// (<see cref="ResponseBudget.TryBeginBuildAsync"/>). The turn lasts until <see cref="ResponseBodyWriter.SendResultAsync"/>
    /// has reserved the encoded answer's bytes (or the request ends), so answers being encoded or waiting for room count too.
    /// </summary>
    /// <exception cref="HttpRefusalException">503: no turn came free within the wait (<see cref="Busy"/>).</exception>
    public static async ValueTask<T> BuildAsync<T>(HttpContext context, Func<CancellationToken, ValueTask<T>> build, CancellationToken cancellationToken)
    {
        if (Budget(context) is not { } budget)
        {
            return await build(cancellationToken).ConfigureAwait(false);
        }

        if (!await budget.TryBeginBuildAsync(cancellationToken).ConfigureAwait(false))
        {
            throw Busy();
        }

        var turn = new BuildTurn(budget);
        context.Features.Set(turn);
        context.Response.RegisterForDispose(turn);
        try
        {
            return await build(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            turn.Dispose();
            throw;
        }
    }

    /// <summary>Ends the request's build turn, if it holds one (the answer's bytes are reserved, or it is refused).</summary>
    public static void EndBuild(HttpContext context) => context.Features.Get<BuildTurn>()?.Dispose();

    /// <summary>
    /// Says which operation (in v1.0 terms) and task the request's answer is for, so that an answer over the limit gets
    /// advice that applies to that method and names the task (<see cref="TooLarge(HttpContext, long, long)"/>).
    /// </summary>
    public static void Describe(HttpContext context, string method, string? taskId) =>
        context.Features.Set(new AnswerFor(method, taskId));

    /// <summary>The error for a response over the limit (-32603): what the client of this method can do to get less.</summary>
    public static A2AException TooLarge(HttpContext context, long size, long limit)
    {
        var answer = context.Features.Get<AnswerFor>();
        var advice = answer?.Method switch
        {
            "GetTask" => "Ask for less with historyLength (0 leaves the history out), or follow the task's events with SubscribeToTask and " +
                "Last-Event-ID, which delivers its artifacts chunk by chunk.",
            "ListTasks" => "Ask for less: a smaller pageSize, historyLength=0, and includeArtifacts=false (the default).",
            "SubscribeToTask" or "SendStreamingMessage" => "The stream's first item is the whole task. Subscribe with Last-Event-ID instead " +
                "(Last-Event-ID: 1 delivers every event after the task was created, each small, then the live tail).",
            _ => "Ask for less: historyLength, includeArtifacts=false or a smaller pageSize; or follow the task's events with SubscribeToTask and Last-Event-ID.",
        };
        var task = answer?.TaskId is { } id ? $" for task '{(id.Length <= 128 ? id : id[..128] + "...")}'" : "";
        return new A2AException(A2AErrorCodes.InternalError,
            $"The response{task} would be {size:N0} bytes, more than this server's limit of {limit:N0} (MaxResponseBytes). {advice}")
        {
            Details = answer?.TaskId is { } taskId
                ? new Dictionary<string, string> { ["taskId"] = taskId.Length <= 128 ? taskId : taskId[..128] + "...", ["limit"] = limit.ToString(CultureInfo.InvariantCulture) }
                : new Dictionary<string, string> { ["limit"] = limit.ToString(CultureInfo.InvariantCulture) },
        };
    }

    /// <summary>What a request's answer is (<see cref="Describe"/>).</summary>
    private sealed record AnswerFor(string Method, string? TaskId);

    /// <summary>
    /// The answer when the response budget has no room: HTTP 503 with <c>Retry-After</c>; over JSON-RPC, error -32603
    /// whose message says busy and retry and whose data carries <c>retryAfterSeconds</c>.
    /// </summary>
    public static HttpRefusalException Busy()
    {
        var seconds = ((long)Math.Ceiling(ResponseBudget.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return new HttpRefusalException(StatusCodes.Status503ServiceUnavailable, A2AErrorCodes.InternalError,
            $"The server is busy: the responses it is sending fill its memory budget (MaxResponseBytesInFlight). Retry in {seconds} s.")
        {
            RetryAfter = ResponseBudget.RetryAfter,
            Details = new Dictionary<string, string> { ["retryAfterSeconds"] = seconds },
        };
    }

    /// <summary>Sets <c>Retry-After</c> for an error that carries a retry hint.</summary>
    public static void SetRetryAfter(HttpContext context, A2AException error)
    {
        if (error is HttpRefusalException { RetryAfter: { } retry })
        {
            context.Response.Headers.RetryAfter = ((long)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
    }
}

/// <summary>A request's turn in the snapshot gate; ended once, by whichever comes first.</summary>
internal sealed class BuildTurn(ResponseBudget budget) : IDisposable
{
    private int _ended;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            budget.EndBuild();
        }
    }
}
