using Herald.Server;
using Herald.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.AspNetCore.Http;

/// <summary>
/// <see cref="HeraldOptions.WriteStallTimeout"/> for an HTTP response (unary bodies and SSE streams): a write that makes
/// no progress for that long aborts the connection, logged once.
/// </summary>
internal static partial class HttpWriteDeadline
{
    public static WriteDeadline Start(HttpContext context)
    {
        // A context without services (a test's DefaultHttpContext) gets the defaults.
        var services = context.RequestServices as IServiceProvider;
        var timeout = services?.GetService<IOptions<HeraldOptions>>()?.Value.WriteStallTimeout ?? TimeSpan.FromSeconds(10);
        var time = services?.GetService<TimeProvider>() ?? TimeProvider.System;
        var loggers = services?.GetService<ILoggerFactory>();
        return new WriteDeadline(timeout, time, () =>
        {
            var logger = loggers?.CreateLogger(typeof(HttpWriteDeadline).FullName!);
            if (logger is not null && logger.IsEnabled(LogLevel.Information))
            {
                LogStalled(logger, context.Connection.Id, timeout.TotalSeconds);
            }

            context.Abort();
        });
    }

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information,
        Message = "Connection {ConnectionId} aborted: a response write made no progress for {Seconds} s (WriteStallTimeout); the client stopped reading")]
    private static partial void LogStalled(ILogger logger, string connectionId, double seconds);
}
