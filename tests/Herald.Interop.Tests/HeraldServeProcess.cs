using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Herald.Interop.Tests;

/// <summary>`herald serve` started as a separate process on a free loopback port, stopped on dispose.</summary>
internal sealed partial class HeraldServeProcess : IAsyncDisposable
{
    private readonly Process _process;

    private HeraldServeProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<HeraldServeProcess> StartAsync(string agent, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { RepositoryPaths.HeraldDll, "serve", "--urls", "http://127.0.0.1:0", "--agent", agent })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start herald serve.");
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(limit.Token) is { } line)
            {
                var match = ListeningLine().Match(line);
                if (match.Success)
                {
                    // Keep draining stdout so the server never blocks on a full pipe.
                    _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                    return new HeraldServeProcess(process, new Uri(match.Groups[1].Value.TrimEnd('/') + "/"));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        process.Kill(entireProcessTree: true);
        process.Dispose();
        throw new InvalidOperationException("herald serve did not report its address in time.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"Herald listening on (\S+)")]
    private static partial Regex ListeningLine();
}
