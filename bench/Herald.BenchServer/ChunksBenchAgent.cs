using System.Diagnostics;
using System.Text.Json;
using Herald.Protocol;
using Herald.Server.Agents;

namespace Herald.Bench;

/// <summary>
/// The <c>chunks</c> demo agent plus what the load generator needs: a start delay (so fan-out
/// subscribers can attach first), delay=0 for maximum rate, and the send time of every chunk in the
/// artifact's metadata (<see cref="BenchCommand.TimestampKey"/>) for the latency scenario.
/// </summary>
internal sealed class ChunksBenchAgent : IAgent
{
    public async Task ExecuteAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var command = BenchCommand.Parse(context.UserText);
        await context.StartWorkAsync(cancellationToken: cancellationToken);
        if (command.StartMs > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(command.StartMs), cancellationToken);
        }

        var origin = Stopwatch.GetTimestamp();
        for (var i = 1; i <= command.Count; i++)
        {
            if (command.DelayMs > 0)
            {
                await BenchPacer.WaitUntilAsync(command.DueTicks(origin, i), cancellationToken);
            }

            var artifact = new Artifact
            {
                ArtifactId = BenchCommand.ArtifactId,
                Parts = [Part.FromText(BenchCommand.ChunkText(i))],
                Metadata = new Dictionary<string, JsonElement>(1)
                {
                    [BenchCommand.TimestampKey] = JsonSerializer.SerializeToElement(BenchClock.NowMicroseconds(), BenchJsonContext.Default.Int64),
                },
            };
            await context.AddArtifactAsync(artifact, append: i > 1, lastChunk: i == command.Count, cancellationToken);
        }

        await context.CompleteAsync(cancellationToken: cancellationToken);
    }
}
