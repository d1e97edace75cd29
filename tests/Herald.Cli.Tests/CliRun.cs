using System.Text.Json;

namespace Herald.Cli.Tests;

/// <summary>The outcome of one in-process <c>herald</c> invocation.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    /// <summary>Each output line parsed as one JSON document.</summary>
    public JsonElement[] JsonLines => Lines.Select(Parse).ToArray();

    public static async Task<CliRun> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await HeraldCli.RunAsync(args, output, error).WaitAsync(Timeout);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    public static JsonElement Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }
}
