using Herald.Cli.Commands;
using Herald.Client;
using Herald.Protocol;

namespace Herald.Cli.Output;

/// <summary>
/// Shows a stream as it arrives and folds it into the task, whose final state decides the exit code.
/// Three forms: <see cref="JsonStreamView"/> (<c>--json</c>), <see cref="LiveStreamView"/> (a terminal)
/// and <see cref="PlainStreamView"/> (output redirected).
/// </summary>
internal abstract class StreamView
{
    private readonly long _started;
    private readonly TimeProvider _time;

    protected StreamView(ClientRun run, TimeProvider? time = null)
    {
        Run = run;
        _time = time ?? TimeProvider.System;
        _started = _time.GetTimestamp();
    }

    protected ClientRun Run { get; }

    protected TextWriter Output => Run.Output;

    /// <summary>The stream so far as a task (or a direct message).</summary>
    public TaskFold Fold { get; } = new();

    protected TimeSpan Elapsed => _time.GetElapsedTime(_started);

    /// <summary>
    /// The view for these settings: JSON lines with <c>--json</c>, Spectre's live display when the output is
    /// the console of a terminal, else plain progressive lines.
    /// </summary>
    public static StreamView Create(ClientRun run) =>
        run.Settings.Json ? new JsonStreamView(run)
        : LiveStreamView.IsSupported(run.Output) ? new LiveStreamView(run)
        : new PlainStreamView(run);

    /// <summary>Reads the stream to its end, showing each event; returns the fold.</summary>
    public virtual async Task<TaskFold> ShowAsync(IAsyncEnumerable<StreamEvent> events, CancellationToken cancellationToken)
    {
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (e.FallbackCause is { } refusal)
            {
                await ReportFallbackAsync(e, refusal).ConfigureAwait(false);
            }

            Apply(e);
            await OnEventAsync(e).ConfigureAwait(false);
        }

        await OnEndAsync().ConfigureAwait(false);
        return Fold;
    }

    /// <summary>
    /// Says on stderr that the agent could not resume the stream and that what follows comes from GetTask
    /// (or a fresh subscription): events in between were not replayed.
    /// </summary>
    protected async Task ReportFallbackAsync(StreamEvent streamEvent, A2AException refusal)
    {
        var after = streamEvent.Resumed?.LastEventId ?? (Run.LastEventId is { } last ? last.ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
        var what = streamEvent.Response.Task is { } task && task.Status.State.EndsStream()
            ? $"showing the task's {Display.State(task.Status.State)} state from GetTask instead"
            : "following the task from its current state instead (events in between are not shown)";
        var where = after is null ? "" : $" after event {after}";
        await Run.Error.WriteLineAsync(
            $"herald {Run.Verb}: the agent could not resume the stream{where} (A2A error {refusal.Code} {A2AErrorCodes.Reason(refusal.Code)}: {Display.OneLine(refusal.Message, 200)}); {what}.")
            .ConfigureAwait(false);
        await Run.Error.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Folds the event in and remembers where the stream is (for the hint when it is interrupted).</summary>
    protected void Apply(StreamEvent streamEvent)
    {
        Fold.Apply(streamEvent);
        Run.TaskId = Fold.Task?.Id ?? Run.TaskId;
        Run.LastEventId = streamEvent.Id ?? Run.LastEventId;
    }

    protected abstract Task OnEventAsync(StreamEvent streamEvent);

    protected virtual Task OnEndAsync() => Task.CompletedTask;
}
