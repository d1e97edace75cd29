using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Herald.Protocol;
using Herald.Server.Agents;

namespace Herald.Cli.Agents;

/// <summary>
/// Turns any command into a streaming agent: for each message it starts the command (no shell) in a session of
/// its own, writes the message text to its stdin, and streams its stdout, line by line (long lines in pieces), as
/// chunks of the <c>stdout</c> artifact. The task ends when the command exits: exit code 0 completes it, any other
/// fails it with the code and the end of stderr. Whenever the task ends (completed, failed, canceled, server
/// shutdown) whatever the command left running is killed.
/// </summary>
internal sealed class ExecAgent(ExecCommand command, ExecAgentOptions? options = null) : IAgent
{
    public const string ArtifactId = "stdout";

    /// <summary>How much of stderr a failure reports: at most this many lines ...</summary>
    internal const int StderrTailLines = 20;

    /// <summary>... and at most this many characters.</summary>
    internal const int StderrTailChars = 2048;

    /// <summary>How long the readers get to notice they were cut before the agent returns without them.</summary>
    private static readonly TimeSpan ReaderStopWait = TimeSpan.FromSeconds(5);

    private readonly ExecAgentOptions _options = options ?? ExecAgentOptions.Default;

    public static AgentCard CreateCard(ExecCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return new AgentCard
        {
            Name = "Herald exec agent",
            Description = $"A demo agent served by `herald serve --agent exec`: it runs `{command.Display}` for each message.",
            Skills =
            [
                new AgentSkill
                {
                    Id = "exec",
                    Name = "Run " + command.FileName,
                    Description = $"Runs `{command.Display}` with the message text on stdin and streams each line it writes to stdout " +
                        $"into the '{ArtifactId}' artifact. Exit code 0 completes the task; any other fails it with the code and the end of stderr. " +
                        "Canceling the task kills the process and everything it started.",
                    Tags = ["demo", "exec", "streaming"],
                },
            ],
        };
    }

    public async Task ExecuteAsync(AgentContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ExecProcess run;
        try
        {
            run = ExecProcess.Start(command);
        }
        catch (Exception ex) when (ex is Win32Exception or FileNotFoundException or InvalidOperationException)
        {
            await context.FailAsync($"Could not start '{command.FileName}': {ex.Message}", cancellationToken).ConfigureAwait(false);
            return;
        }

        using (run)
        {
            var process = run.Process;

            // stdout, stderr and stdin are served concurrently, so that neither a chatty stderr nor a large message
            // can fill a pipe and deadlock the process and us. All three stop when cut: a background child of the
            // command may hold the pipes open long after the command itself exited.
            using var cut = new CancellationTokenSource();
            var stderr = ReadTailAsync(process.StandardError, cut.Token);
            var stdin = WriteAndCloseAsync(process.StandardInput, context.UserText, cut.Token);
            var stdout = Task.FromResult(false);
            try
            {
                // Working first, then the output: stdout is read only once the status is out.
                await context.StartWorkAsync($"running {command.Display}", cancellationToken).ConfigureAwait(false);
                stdout = StreamOutputAsync(process.StandardOutput.BaseStream, context, cut.Token, cancellationToken);
                var exited = process.WaitForExitAsync(cancellationToken);

                // A failure to report output (the task ended meanwhile, the store refused) ends the run at once.
                await Task.WhenAny(exited, stdout).ConfigureAwait(false);
                if (!stdout.IsCompletedSuccessfully && stdout.IsCompleted)
                {
                    await stdout.ConfigureAwait(false);
                }

                await exited.ConfigureAwait(false);
                try
                {
                    // The command is gone: what it wrote is still in the pipes, and comes within a moment unless
                    // something it started keeps writing (or just keeps the pipes open).
                    await Task.WhenAll(stdout, stderr).WaitAsync(_options.OutputGracePeriod, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    await cut.CancelAsync().ConfigureAwait(false);
                }

                var wroteOutput = await stdout.ConfigureAwait(false);
                var tail = await stderr.ConfigureAwait(false);

                // Before the final state, so that a client that sees it knows nothing of the run is left.
                await run.TerminateAsync(_options.KillGracePeriod).ConfigureAwait(false);
                if (wroteOutput)
                {
                    // Each piece went out as soon as it was read; the end of stdout is only known now.
                    await context.AppendTextAsync(ArtifactId, "", lastChunk: true, cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                if (process.ExitCode == 0)
                {
                    await context.CompleteAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await context.FailAsync(FailureMessage(process.ExitCode, tail), cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                // Canceled, shut down, failed, or done: nothing the command started outlives the task (again, cheaply,
                // on the way out of the normal path).
                await run.TerminateAsync(_options.KillGracePeriod).ConfigureAwait(false);
                await cut.CancelAsync().ConfigureAwait(false);
                await StopQuietlyAsync(stdout, stderr, stdin).ConfigureAwait(false);
            }
        }
    }

    internal string FailureMessage(int exitCode, string stderrTail) =>
        stderrTail.Length == 0
            ? $"{command.Display} exited with code {exitCode} (nothing on stderr)."
            : $"{command.Display} exited with code {exitCode}. End of stderr:\n{stderrTail}";

    /// <summary>The last <see cref="StderrTailLines"/> lines of <paramref name="text"/>, at most <see cref="StderrTailChars"/> characters.</summary>
    internal static string TakeTail(string text)
    {
        var tail = text.AsSpan().TrimEnd();
        if (tail.Length > StderrTailChars)
        {
            tail = tail[^StderrTailChars..];
            var firstBreak = tail.IndexOf('\n');
            if (firstBreak >= 0 && firstBreak < tail.Length - 1)
            {
                // Drop the line the cut went through.
                tail = tail[(firstBreak + 1)..];
            }
        }

        var start = tail.Length;
        for (var lines = 0; start > 0; start--)
        {
            if (tail[start - 1] == '\n' && ++lines == StderrTailLines)
            {
                break;
            }
        }

        return tail[start..].ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    /// <summary>Streams stdout into the artifact, a piece at a time; returns whether anything was written.</summary>
    private async Task<bool> StreamOutputAsync(Stream stdout, AgentContext context, CancellationToken cut, CancellationToken cancellationToken)
    {
        // Appends are awaited before the next read: a command that writes faster than the store takes it is
        // slowed down by its pipe, not buffered here.
        var wrote = false;
        await foreach (var piece in OutputChunker.ReadAsync(stdout, _options.MaxLineBytes, cut).ConfigureAwait(false))
        {
            await context.AppendTextAsync(ArtifactId, piece, name: ArtifactId, cancellationToken: cancellationToken).ConfigureAwait(false);
            wrote = true;
        }

        return wrote;
    }

    private static async Task<string> ReadTailAsync(StreamReader reader, CancellationToken cut)
    {
        // Keeps a bounded window, not the whole of stderr: a process may write gigabytes there.
        var buffer = new char[4096];
        var window = new StringBuilder();
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer, cut).ConfigureAwait(false)) > 0)
            {
                window.Append(buffer, 0, read);
                if (window.Length > 2 * StderrTailChars)
                {
                    window.Remove(0, window.Length - StderrTailChars - 1);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }

        return TakeTail(window.ToString());
    }

    private static async Task WriteAndCloseAsync(StreamWriter stdin, string text, CancellationToken cut)
    {
        try
        {
            await stdin.WriteAsync(text.AsMemory(), cut).ConfigureAwait(false);
            await stdin.FlushAsync(cut).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The process exited or closed its stdin without reading everything: not our failure.
        }
        finally
        {
            try
            {
                stdin.Dispose();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Waits (bounded) for the readers and the writer to end, ignoring how: the task's outcome is already decided.</summary>
    private static async Task StopQuietlyAsync(params Task[] tasks)
    {
        try
        {
            await Task.WhenAll(tasks).WaitAsync(ReaderStopWait).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A failed append after cancellation, or a reader that did not stop in time: disposing the process closes the pipes.
        }
    }
}
