using System.Diagnostics;
using System.Text;

namespace Herald.Interop.Tests;

/// <summary>
/// The official @a2a-js/sdk 1.x server (tests/interop/js/server.mjs, `node server.mjs 0`) on a free loopback
/// port, shared by the tests of <see cref="JsSdkServerCollection"/>; its process tree is killed on dispose.
/// </summary>
public sealed class JsSdkServerFixture() : NodeServerFixture("server.mjs", "js-sdk");

/// <summary>
/// The official @a2a-js/sdk 0.3.x server (tests/interop/js/server-v03.mjs) on a free loopback port, shared by
/// the tests of <see cref="JsSdk03ServerCollection"/>. It also serves a no-event-log variant under <c>/no-log/</c>.
/// </summary>
public sealed class JsSdk03ServerFixture() : NodeServerFixture("server-v03.mjs", "js-sdk-03");

/// <summary>
/// A node script of tests/interop/js started as `node SCRIPT 0`, which prints "NAME listening on URL" once
/// it accepts connections; its process tree is killed on dispose.
/// </summary>
public abstract class NodeServerFixture(string script, string name) : IAsyncLifetime
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
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("0");

        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start node {script}.");
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
                var prefix = $"{name} listening on ";
                if (line.StartsWith(prefix, StringComparison.Ordinal) && Uri.TryCreate(line[prefix.Length..].Trim(), UriKind.Absolute, out var url))
                {
                    // Keep draining stdout so the server never blocks on a full pipe.
                    _ = _process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                    BaseAddress = new Uri(url.ToString().TrimEnd('/') + "/");
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            await DisposeAsync();
            throw new TimeoutException($"node {script} did not report its address within {StartTimeout}. stderr: {StdErr}");
        }

        await DisposeAsync();
        throw new InvalidOperationException($"node {script} exited before reporting its address. stderr: {StdErr}");
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
}

[CollectionDefinition(Name)]
public sealed class JsSdkServerCollection : ICollectionFixture<JsSdkServerFixture>
{
    public const string Name = "js-sdk-server";
}

[CollectionDefinition(Name)]
public sealed class JsSdk03ServerCollection : ICollectionFixture<JsSdk03ServerFixture>
{
    public const string Name = "js-sdk-03-server";
}
