using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Herald.Interop.Tests;

/// <summary>
/// The official @a2a-js/sdk server (tests/interop/js/server.mjs, `node server.mjs 0`) on a free loopback
/// port, shared by the tests of <see cref="JsSdkServerCollection"/>; its process tree is killed on dispose.
/// </summary>
public sealed partial class JsSdkServerFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly StringBuilder _stderr = new();
    private Process? _process;

    /// <summary>The server's base URL, with a trailing slash (its card is at <c>.well-known/agent-card.json</c>).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>What the server wrote to stderr so far, for failure messages.</summary>
    public string StdErr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        await NpmPackages.EnsureInstalledAsync();
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepositoryPaths.InteropJs,
            RedirectStandardInput = true, // server.mjs also exits when this pipe closes (the test host went away)
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("server.mjs");
        start.ArgumentList.Add("0");

        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node server.mjs.");
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();

        using var limit = new CancellationTokenSource(StartTimeout);
        try
        {
            while (await _process.StandardOutput.ReadLineAsync(limit.Token) is { } line)
            {
                var match = ListeningLine().Match(line);
                if (match.Success)
                {
                    // Keep draining stdout so the server never blocks on a full pipe.
                    _ = _process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                    BaseAddress = new Uri(match.Groups[1].Value.TrimEnd('/') + "/");
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            await DisposeAsync();
            throw new TimeoutException($"node server.mjs did not report its address within {StartTimeout}. stderr: {StdErr}");
        }

        await DisposeAsync();
        throw new InvalidOperationException($"node server.mjs exited before reporting its address. stderr: {StdErr}");
    }

    public async Task DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
        _process = null;
    }

    [GeneratedRegex(@"^js-sdk listening on (http://\S+)$")]
    private static partial Regex ListeningLine();
}

[CollectionDefinition(Name)]
public sealed class JsSdkServerCollection : ICollectionFixture<JsSdkServerFixture>
{
    public const string Name = "js-sdk-server";
}
