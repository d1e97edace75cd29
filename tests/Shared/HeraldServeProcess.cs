using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Herald.Testing;

/// <summary>
/// `herald serve` started as a separate process on a free loopback port, as a user runs it (optionally
/// through a launcher such as `prlimit --nofile=512:512 --`, which execs it in the same process). Unless
/// the arguments name a store, it gets a SQLite database in a fresh temporary folder (the default store,
/// but never a file shared with another test). Killed on dispose if still running; <see cref="KillAsync"/>
/// is SIGKILL, as in a crash.
/// </summary>
internal sealed partial class HeraldServeProcess : IAsyncDisposable
{
    private const int KeptErrorLines = 200;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _errorLines;
    private readonly TempDirectory? _directory;

    private HeraldServeProcess(Process process, Uri baseAddress, string startupLine, ConcurrentQueue<string> errorLines, TempDirectory? directory)
    {
        _process = process;
        BaseAddress = baseAddress;
        StartupLine = startupLine;
        _errorLines = errorLines;
        _directory = directory;
    }

    public Uri BaseAddress { get; }

    public string StartupLine { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the server wrote to stderr (its logs), for assertion messages.</summary>
    public string StandardErrorTail => string.Join('\n', _errorLines);

    /// <param name="heraldDll">The built herald.dll to run.</param>
    /// <param name="serveArguments">Arguments after <c>serve --urls http://127.0.0.1:0</c>.</param>
    /// <param name="timeout">How long to wait for the startup line.</param>
    /// <param name="launcher">A command line the dotnet host is started through, or null.</param>
    public static async Task<HeraldServeProcess> StartAsync(string heraldDll, IEnumerable<string> serveArguments, TimeSpan timeout, IEnumerable<string>? launcher = null)
    {
        var args = serveArguments.ToList();
        TempDirectory? directory = null;

        // Options go before a "--" (what follows it is the exec agent's command): a --store after it would be the
        // command's, and the server would open herald.db in the working directory, shared with other tests.
        var separator = args.IndexOf("--");
        var options = separator < 0 ? args.Count : separator;
        if (!args.Take(options).Contains("--store"))
        {
            directory = new TempDirectory();
            args.InsertRange(options, ["--store", Path.Combine(directory.Path, "herald.db")]);
        }

        var command = (launcher ?? []).Concat([DotnetHost(), heraldDll, "serve", "--urls", "http://127.0.0.1:0"]).Concat(args).ToList();
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start herald serve.");
        var errorLines = new ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                errorLines.Enqueue(line);
                while (errorLines.Count > KeptErrorLines && errorLines.TryDequeue(out string? _))
                {
                }
            }
        };
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
                    return new HeraldServeProcess(process, new Uri(match.Groups[1].Value.TrimEnd('/', ',') + "/"), line, errorLines, directory);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        process.Kill(entireProcessTree: true);
        process.Dispose();
        directory?.Dispose();
        throw new InvalidOperationException($"herald serve did not report its address in time. stderr:\n{string.Join('\n', errorLines)}");
    }

    /// <summary>SIGKILL: the process ends at once, as in a crash; nothing of its graceful shutdown runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Sends a signal by name (TERM, INT, ...), as a service manager or Ctrl+C would.</summary>
    public async Task SignalAsync(string signal, TimeSpan timeout)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })
            ?? throw new InvalidOperationException("Could not run kill.");
        await kill.WaitForExitAsync().WaitAsync(timeout);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {_process.Id} exited with {kill.ExitCode}.");
        }
    }

    /// <summary>Waits for the server to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

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
