using Microsoft.Extensions.Logging;

namespace Herald.Cli.Hosting;

internal static partial class ServeLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information,
        Message = "Open files: limit {OpenFilesLimit}, {OpenAtStart} open at start; holding at most {MaxConnections} connections")]
    public static partial void Budget(ILogger logger, ulong? openFilesLimit, int openAtStart, int maxConnections);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning,
        Message = "--max-connections {MaxConnections} is above the {SafeMaxConnections} that the open-files limit {OpenFilesLimit} leaves room for: a connection flood may exhaust file descriptors")]
    public static partial void AboveSafeLimit(ILogger logger, int maxConnections, int safeMaxConnections, ulong openFilesLimit);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning,
        Message = "Connection limit {MaxConnections} reached; {Action} (logged at most once a minute; see --max-connections)")]
    public static partial void ConnectionLimitReached(ILogger logger, int maxConnections, string action);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning,
        Message = "No authentication: anyone who can reach this server can send messages and read its tasks (--auth bearer or --api-key-file require credentials)")]
    public static partial void Unauthenticated(ILogger logger);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Authentication required: {Schemes}")]
    public static partial void Authenticated(ILogger logger, string schemes);
}
