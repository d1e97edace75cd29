using System.Net.Sockets;
using Herald.Client;
using Herald.Protocol;

namespace Herald.Cli.Commands;

/// <summary>
/// Runs one client verb: creates the HTTP client and the A2A client, and turns the errors a person can
/// act on into one line on stderr and an exit code (stack traces only with <c>--verbose</c>).
/// </summary>
internal sealed class ClientRun
{
    private ClientRun(string verb, ClientSettings settings, TextWriter output, TextWriter error)
    {
        Verb = verb;
        Settings = settings;
        Output = output;
        Error = error;
    }

    public string Verb { get; }

    public ClientSettings Settings { get; }

    public TextWriter Output { get; }

    public TextWriter Error { get; }

    /// <summary>The task the verb is about, once known: named in the hint printed when a stream is interrupted or lost.</summary>
    public string? TaskId { get; set; }

    /// <summary>The id of the last stream event printed, for the same hint.</summary>
    public long? LastEventId { get; set; }

    public static async Task<int> RunAsync(
        string verb,
        ClientSettings settings,
        TextWriter output,
        TextWriter error,
        Func<ClientRun, IA2AClient, CancellationToken, Task<int>> body,
        CancellationToken cancellationToken)
    {
        var run = new ClientRun(verb, settings, output, error);
        using var http = CreateHttpClient(settings, out var badHeader);
        if (badHeader is not null)
        {
            return await run.FailAsync(ExitCodes.Error, $"cannot send header '{badHeader}' with every request.", null).ConfigureAwait(false);
        }

        var options = new A2AClientOptions { ProtocolVersion = settings.ProtocolVersion, ProtocolBinding = settings.Binding, AutoResume = settings.AutoResume, CardSignatureVerification = settings.CardVerification };
        try
        {
            var client = A2AClient.Create(http, settings.AgentUrl, options.AddGrpcBinding());
            return await body(run, client, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var hint = run.TaskId is null ? "" : $"; the task goes on on the server: herald subscribe {settings.AgentUrl} {run.TaskId}" +
                (run.LastEventId is { } last ? $" --after {last}" : "");
            return await run.FailAsync(ExitCodes.Interrupted, "interrupted" + hint, null).ConfigureAwait(false);
        }
        catch (Exception ex) when (Classify(ex, settings, run) is { } failure)
        {
            return await run.FailAsync(failure.ExitCode, failure.Message, ex).ConfigureAwait(false);
        }
    }

    /// <summary>Writes one line to stderr (plus the exception with <c>--verbose</c>) and returns <paramref name="exitCode"/>.</summary>
    public async Task<int> FailAsync(int exitCode, string message, Exception? exception)
    {
        var line = message.ReplaceLineEndings(" ");
        await Error.WriteLineAsync($"herald {Verb}: {line}").ConfigureAwait(false);
        if (Settings.Verbose && exception is not null)
        {
            await Error.WriteLineAsync(exception.ToString()).ConfigureAwait(false);
        }

        await Error.FlushAsync().ConfigureAwait(false);
        return exitCode;
    }

    private static (int ExitCode, string Message)? Classify(Exception exception, ClientSettings settings, ClientRun run) => exception switch
    {
        A2ACardSignatureException e => (ExitCodes.CardNotVerified, e.Message),
        A2ANotAnAgentException e => (ExitCodes.NotAnAgent, $"{settings.AgentUrl} is not an A2A agent: {e.Message}"),
        A2AVersionNotSupportedException e => (ExitCodes.UnsupportedVersion, e.Message),
        A2AException { Code: A2AErrorCodes.VersionNotSupported } e => (ExitCodes.UnsupportedVersion, $"the agent does not support this protocol version: {e.Message}"),
        A2AException { Code: A2AErrorCodes.TaskNotFound } e => (ExitCodes.TaskNotFound, e.Message),
        A2AStreamEndedException e => (ExitCodes.Unreachable, e.Message + ResumeHint(settings, e.TaskId ?? run.TaskId, e.LastEventId ?? run.LastEventId)),
        HttpRequestException e => (ExitCodes.Unreachable, $"cannot reach {settings.AgentUrl}: {Describe(e)}"),
        A2AHttpException { StatusCode: System.Net.HttpStatusCode.Unauthorized } e => (ExitCodes.Error,
            $"the agent requires authentication (HTTP 401: {e.Message}): pass --token TOKEN (or set HERALD_TOKEN) or --api-key KEY; its card's securitySchemes say which (herald card {settings.AgentUrl})"),
        A2AHttpException e => (ExitCodes.Error, $"the agent answered HTTP {(int)e.StatusCode}: {e.Message}"),
        A2AException e => (ExitCodes.Error, $"{e.Message} (A2A error {e.Code} {A2AErrorCodes.Reason(e.Code)})"),
        OperationCanceledException => (ExitCodes.Unreachable, $"no answer from {settings.AgentUrl} in time"),
        _ => (ExitCodes.Error, exception.Message),
    };

    private static string ResumeHint(ClientSettings settings, string? taskId, long? lastEventId) =>
        taskId is null ? "" : $" To continue: herald subscribe {settings.AgentUrl} {taskId}" + (lastEventId is { } last ? $" --after {last}" : "");

    private static string Describe(HttpRequestException exception) => exception.InnerException switch
    {
        SocketException socket => socket.Message,
        { } inner when exception.HttpRequestError == HttpRequestError.SecureConnectionError => $"{exception.Message} {inner.Message}",
        _ => exception.Message,
    };

    private static HttpClient CreateHttpClient(ClientSettings settings, out string? badHeader)
    {
        badHeader = null;

        // Streams last as long as their task: no overall timeout (Ctrl+C ends the command), but a bounded connect.
        var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) }) { Timeout = Timeout.InfiniteTimeSpan };
        foreach (var (name, value) in settings.Headers)
        {
            if (!http.DefaultRequestHeaders.TryAddWithoutValidation(name, value))
            {
                badHeader = name;
            }
        }

        if (!http.DefaultRequestHeaders.Contains("User-Agent"))
        {
            http.DefaultRequestHeaders.UserAgent.ParseAdd("herald-cli/1.0");
        }

        return http;
    }
}
