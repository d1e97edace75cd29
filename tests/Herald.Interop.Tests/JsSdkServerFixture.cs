using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Herald.Interop.Tests;

/// <summary>The official @a2a-js/sdk server (tests/interop/js/server.mjs) on a free loopback port, stopped on dispose.</summary>
public sealed partial class JsSdkServerFixture : IAsyncLifetime
{
    private Process? _process;

    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await NpmPackages.EnsureInstalledAsync();
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepositoryPaths.InteropJs,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "server.mjs", "--port", "0" })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node server.mjs.");
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await _process.StandardOutput.ReadLineAsync(limit.Token) is { } line)
        {
            var match = ListeningLine().Match(line);
            if (match.Success)
            {
                _ = _process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                BaseAddress = new Uri(match.Groups[1].Value.TrimEnd('/') + "/");
                return;
            }
        }

        throw new InvalidOperationException("The js-sdk server exited before reporting its address.");
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process?.Dispose();
    }

    [GeneratedRegex(@"js-sdk listening on (\S+)")]
    private static partial Regex ListeningLine();
}

[CollectionDefinition(Name)]
public sealed class JsSdkServerCollection : ICollectionFixture<JsSdkServerFixture>
{
    public const string Name = "js-sdk-server";
}
