using Herald.Cli.Commands;
using Herald.Client;
using Herald.Protocol;

namespace Herald.Cli.Output;

/// <summary>
/// Output redirected to a file or a pipe: one line per change, as it happens, ending with the task's final
/// state, e.g. <c>task 3f2a... completed (1.20s)</c>.
/// </summary>
internal sealed class PlainStreamView(ClientRun run) : StreamView(run)
{
    protected override async Task OnEventAsync(StreamEvent streamEvent)
    {
        var at = $"[{Display.Elapsed(Elapsed),8}]";
        if (streamEvent.Resumed is { } resumed)
        {
            await Output.WriteLineAsync($"{at} {ResumedText(resumed)}").ConfigureAwait(false);
        }

        var response = streamEvent.Response;
        if (response.Task is { } task)
        {
            await Output.WriteLineAsync($"{at} task {task.Id} {Display.State(task.Status.State)} (context {task.ContextId})").ConfigureAwait(false);
            if (!task.Status.State.EndsStream() && task.Status.Message is { } message)
            {
                await Output.WriteLineAsync($"{at} {Display.State(task.Status.State)}: {Display.OneLine(message.GetText())}").ConfigureAwait(false);
            }
        }
        else if (response.StatusUpdate is { } update && !update.Status.State.EndsStream())
        {
            var text = update.Status.Message is { } message ? ": " + Display.OneLine(Display.Parts(message.Parts)) : "";
            await Output.WriteLineAsync($"{at} {Display.State(update.Status.State)}{text}").ConfigureAwait(false);
        }
        else if (response.ArtifactUpdate is { } artifact)
        {
            var name = artifact.Artifact.Name ?? artifact.Artifact.ArtifactId;
            var text = Display.Parts(artifact.Artifact.Parts).TrimEnd('\r', '\n');
            foreach (var line in text.Split('\n'))
            {
                await Output.WriteLineAsync($"{at} {name}| {line.TrimEnd('\r')}").ConfigureAwait(false);
            }
        }
        else if (response.Message is { } message)
        {
            await Output.WriteLineAsync($"{at} {Display.Role(message.Role)}: {Display.Parts(message.Parts)}").ConfigureAwait(false);
        }

        await Output.FlushAsync().ConfigureAwait(false);
    }

    protected override async Task OnEndAsync()
    {
        if (Fold.Task is { } task)
        {
            var message = task.Status.Message is { } m ? ": " + Display.OneLine(Display.Parts(m.Parts)) : "";
            await Output.WriteLineAsync($"task {task.Id} {Display.State(task.Status.State)}{message} ({Display.Elapsed(Elapsed)})").ConfigureAwait(false);
            await Output.FlushAsync().ConfigureAwait(false);
        }
    }

    internal static string ResumedText(ResumeInfo resumed) => resumed.WithLastEventId
        ? $"connection lost; resumed after event {resumed.LastEventId} (attempt {resumed.Attempt}, resume #{resumed.ResumeCount}): nothing missed"
        : $"connection lost; resumed from a task snapshot (the server sends no event ids; attempt {resumed.Attempt}, resume #{resumed.ResumeCount})";
}
