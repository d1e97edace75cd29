using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Herald.Testing;

/// <summary>
/// `herald serve` started as a separate process on a free loopback port, as a user runs it. Unless the
/// arguments name a store, it gets a SQLite database in a fresh temporary folder (the default store, but
/// never a file shared with another test). Killed on dispose; <see cref="Kill"/> is SIGKILL, as a crash.
/// </summary>
internal sealed partial class HeraldServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TempDirectory? _directory;
    private readonly Task<string> _stderr;

    private HeraldServeProcess(Process process, Uri baseAddress, string startupLine, TempDirectory? directory, Task<string> stderr)
    {
        _process = process;
        BaseAddress = baseAddress;
        StartupLine = startupLine;
        _directory = directory;
        _stderr = stderr;
    }

    public Uri BaseAddress { get; }

    public string StartupLine { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>dotnet <paramref name="heraldDll"/> serve --urls http://127.0.0.1:0 ARGS</c> and waits for its startup line.</summary>
    public static async Task<HeraldServeProcess> StartAsync(string heraldDll, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var args = arguments.ToList();
        TempDirectory? directory = null;
        if (!args.Contains("--store"))
        {
            directory = new TempDirectory();
            args.AddRange(["--store", Path.Combine(directory.Path, "herald.db")]);
        }

        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { heraldDll, "serve", "--urls", "http://127.0.0.1:0" }.Concat(args))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start herald serve.");
        var stderr = process.StandardError.ReadToEndAsync();
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
                    return new HeraldServeProcess(process, new Uri(match.Groups[1].Value.TrimEnd('/', ',') + "/"), line, directory, stderr);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        process.Kill(entireProcessTree: true);
        var errors = await stderr.WaitAsync(TimeSpan.FromSeconds(10));
        process.Dispose();
        directory?.Dispose();
        throw new InvalidOperationException($"herald serve did not report its address in time. stderr: {errors}");
    }

    /// <summary>SIGKILL: the process ends at once, as in a crash; nothing of its graceful shutdown runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>What the process wrote to stderr (complete once it has exited).</summary>
    public Task<string> StandardError => _stderr;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
        _directory?.Dispose();
    }

    public static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    [GeneratedRegex(@"Herald listening on (\S+)")]
    private static partial Regex ListeningLine();
}
