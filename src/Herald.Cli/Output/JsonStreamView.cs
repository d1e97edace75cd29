using Herald.Cli.Commands;
using Herald.Client;

namespace Herald.Cli.Output;

/// <summary><c>--json</c>: exactly one line per stream event, flushed at once so a script sees it live.</summary>
internal sealed class JsonStreamView(ClientRun run) : StreamView(run)
{
    protected override async Task OnEventAsync(StreamEvent streamEvent)
    {
        await Output.WriteLineAsync(JsonLines.Event(streamEvent)).ConfigureAwait(false);
        await Output.FlushAsync().ConfigureAwait(false);
    }
}
