using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Herald.Protocol;
using Herald.Server.Agents;

namespace Herald.Cli.Agents;

/// <summary>
/// Turns any command into a streaming agent: for each message it starts the command (no shell), writes
/// the message text to its stdin, and streams every stdout line as a chunk of the <c>stdout</c> artifact.
/// Exit code 0 completes the task; any other fails it with the code and the end of stderr. Canceling the
/// task kills the whole process tree.
/// </summary>
internal sealed class ExecAgent(ExecCommand command) : IAgent
{
    public const string ArtifactId = "stdout";

    /// <summary>How much of stderr a failure reports: at most this many lines ...</summary>
    internal const int StderrTailLines = 20;

    /// <summary>... and at most this many characters.</summary>
    internal const int StderrTailChars = 2048;

    /// <summary>How long to wait for a killed process to be gone before returning anyway.</summary>
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(5);

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

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
                        "Canceling the task kills the process.",
                    Tags = ["demo", "exec", "streaming"],
                },
            ],
        };
    }

    public async Task ExecuteAsync(AgentContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var startInfo = new ProcessStartInfo(command.FileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = Utf8,
            StandardOutputEncoding = Utf8,
            StandardErrorEncoding = Utf8,
        };
        foreach (var argument in command.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new InvalidOperationException($"'{command.FileName}' did not start.");
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            await context.FailAsync($"Could not start '{command.FileName}': {ex.Message}", cancellationToken).ConfigureAwait(false);
            return;
        }

        using (process)
        {
            // stderr is drained and stdin fed concurrently with reading stdout, so that neither a chatty
            // stderr nor a large message can fill a pipe and deadlock the process and us.
            var stderr = ReadTailAsync(process.StandardError);
            var stdin = WriteAndCloseAsync(process.StandardInput, context.UserText);
            var registration = cancellationToken.Register(static p => KillTree((Process)p!), process);
            try
            {
                await context.StartWorkAsync($"running {command.Display}", cancellationToken).ConfigureAwait(false);
                var wroteLine = false;
                while (await process.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                {
                    await context.AppendTextAsync(ArtifactId, line + "\n", name: ArtifactId, cancellationToken: cancellationToken).ConfigureAwait(false);
                    wroteLine = true;
                }

                cancellationToken.ThrowIfCancellationRequested();
                if (wroteLine)
                {
                    // Each line went out as soon as it was read; the end of stdout is only known now.
                    await context.AppendTextAsync(ArtifactId, "", lastChunk: true, cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                await stdin.ConfigureAwait(false);
                var tail = await stderr.ConfigureAwait(false);
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
                await registration.DisposeAsync().ConfigureAwait(false);
                if (!process.HasExited)
                {
                    KillTree(process);
                    try
                    {
                        await process.WaitForExitAsync(CancellationToken.None).WaitAsync(KillWait, CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                    }
                }
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

    private static async Task<string> ReadTailAsync(StreamReader reader)
    {
        // Keeps a bounded window, not the whole of stderr: a process may write gigabytes there.
        var buffer = new char[4096];
        var window = new StringBuilder();
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                window.Append(buffer, 0, read);
                if (window.Length > 2 * StderrTailChars)
                {
                    window.Remove(0, window.Length - StderrTailChars - 1);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }

        return TakeTail(window.ToString());
    }

    private static async Task WriteAndCloseAsync(StreamWriter stdin, string text)
    {
        try
        {
            await stdin.WriteAsync(text).ConfigureAwait(false);
            await stdin.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
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

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already exited.
        }
    }
}
