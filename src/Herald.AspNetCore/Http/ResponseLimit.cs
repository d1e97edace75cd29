using Herald.Protocol;
using Herald.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Herald.AspNetCore.Http;

/// <summary>
/// <see cref="HeraldOptions.MaxResponseBytes"/>, for every HTTP binding: a unary answer, and a stream's first item
/// (the whole task), larger than it is refused with an error that says how to ask for less.
/// </summary>
internal static class ResponseLimit
{
    /// <summary>The server's <see cref="HeraldOptions.MaxResponseBytes"/>.</summary>
    public static long Of(HttpContext context) =>
        context.RequestServices.GetService<IOptions<HeraldOptions>>()?.Value.MaxResponseBytes ?? long.MaxValue;

    /// <summary>The error for a response over the limit (-32603): what the client can do to get less.</summary>
    public static A2AException TooLarge(long size, long limit) =>
        new(A2AErrorCodes.InternalError,
            $"The response would be {size:N0} bytes, more than this server's limit of {limit:N0} (MaxResponseBytes). " +
            "Ask for less: historyLength, includeArtifacts=false or a smaller pageSize; or follow the task's events with SubscribeToTask and Last-Event-ID.");
}
