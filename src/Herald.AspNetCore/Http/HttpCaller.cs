using Herald.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.AspNetCore.Http;

/// <summary>The <see cref="Caller"/> of a request: its user, through the host's <see cref="ICallerResolver"/>.</summary>
internal static class HttpCaller
{
    private static readonly ClaimsCallerResolver Fallback = new();

    public static Caller Of(HttpContext context) =>
        (context.RequestServices?.GetService<ICallerResolver>() ?? Fallback).Resolve(context.User);
}
