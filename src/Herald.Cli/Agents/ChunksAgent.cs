using System.Globalization;
using System.Text.RegularExpressions;
using Herald.Protocol;
using Herald.Server.Agents;

namespace Herald.Cli.Agents;

/// <summary>
/// Streams <c>N</c> text chunks into one artifact, a fixed delay apart: the smallest agent that shows
/// streaming, resumption and cancellation. The message text is <c>N</c>, <c>N chunks</c> or <c>N delay=MS</c>.
/// <c>ask</c> shows a conversation: the task stops in input-required asking for a name, and the follow-up
/// message (same task id) completes it with the artifact <c>greeting</c> = <c>hello NAME</c>.
/// </summary>
internal sealed partial class ChunksAgent(TimeProvider time) : IAgent
{
    public const string ArtifactId = "chunks";
    public const string AskCommand = "ask";
    public const string GreetingArtifactId = "greeting";
    public const string AskPrompt = "What is your name? Answer with a message to this task.";
    public const int MaxChunks = 100_000;
    public const int MaxDelayMilliseconds = 60_000;
    public const int DefaultDelayMilliseconds = 100;

    public static readonly string Usage =
        $"Send the number of chunks to stream, optionally with the delay between them in milliseconds: 'N' or 'N delay=MS' " +
        $"(for example '20 delay=100'). N is 1 to {MaxChunks}; MS is 0 to {MaxDelayMilliseconds}, {DefaultDelayMilliseconds} by default. " +
        $"Or send '{AskCommand}' to be asked a question.";

    public static AgentCard Card { get; } = new()
    {
        Name = "Herald chunks agent",
        Description = "A demo agent served by `herald serve --agent chunks`: it streams numbered text chunks into an artifact.",
        Skills =
        [
            new AgentSkill
            {
                Id = "chunks",
                Name = "Stream chunks",
                Description = "Streams N chunks ('chunk i of N') into the 'chunks' artifact, MS milliseconds apart. " + Usage,
                Tags = ["demo", "streaming"],
                Examples = ["20 delay=100", "5 chunks", "1000 delay=0"],
            },
            new AgentSkill
            {
                Id = AskCommand,
                Name = "Ask for a name",
                Description = $"Send '{AskCommand}': the task stops in input-required and asks for your name; answer with a message to the same task " +
                    $"and it completes with the artifact '{GreetingArtifactId}' = 'hello <name>'. Shows a multi-turn conversation.",
                Tags = ["demo", "multi-turn"],
                Examples = [AskCommand],
            },
        ],
    };

    public async Task ExecuteAsync(AgentContext context, CancellationToken cancellationToken)
    {
        if (context.IsContinuation)
        {
            // Only 'ask' leaves a task waiting for input: this message is the answer.
            await context.AppendTextAsync(GreetingArtifactId, $"hello {context.UserText.Trim()}", lastChunk: true, name: GreetingArtifactId, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            await context.CompleteAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        if (string.Equals(context.UserText.Trim(), AskCommand, StringComparison.OrdinalIgnoreCase))
        {
            await context.RequireInputAsync(AskPrompt, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!TryParse(context.UserText, out var count, out var delay))
        {
            await context.RejectAsync(Usage, cancellationToken).ConfigureAwait(false);
            return;
        }

        await context.StartWorkAsync($"streaming {count} chunks", cancellationToken).ConfigureAwait(false);
        for (var i = 1; i <= count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (i > 1 && delay > TimeSpan.Zero)
            {
                // Paced output: the chunk before the pause is out (durable and streamed) while the agent waits.
                await context.FlushAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }

            await context.AppendTextAsync(ArtifactId, $"chunk {i} of {count}\n", lastChunk: i == count, name: ArtifactId, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }

        await context.CompleteAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads <c>N</c>, <c>N chunks</c>, <c>N delay=MS</c> or <c>N chunks delay=MS</c> (case-insensitive, <c>ms</c> suffix allowed).</summary>
    internal static bool TryParse(string text, out int count, out TimeSpan delay)
    {
        count = 0;
        delay = TimeSpan.FromMilliseconds(DefaultDelayMilliseconds);
        var match = Syntax().Match(text);
        if (!match.Success
            || !int.TryParse(match.Groups["count"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out count)
            || count < 1 || count > MaxChunks)
        {
            count = 0;
            return false;
        }

        if (match.Groups["delay"].Success)
        {
            if (!int.TryParse(match.Groups["delay"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms > MaxDelayMilliseconds)
            {
                count = 0;
                return false;
            }

            delay = TimeSpan.FromMilliseconds(ms);
        }

        return true;
    }

    [GeneratedRegex(@"^\s*(?<count>[0-9]{1,9})(?:\s+chunks?)?(?:\s*[,;]?\s*delay\s*=\s*(?<delay>[0-9]{1,9})\s*(?:ms)?)?\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Syntax();
}
