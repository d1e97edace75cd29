using System.Text;
using Herald.Cli.Commands;
using Herald.Client;
using Herald.Protocol;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Herald.Cli.Output;

/// <summary>
/// The view for a person at a terminal (Spectre.Console's live display): task id and state, the latest
/// status messages, each artifact growing chunk by chunk (the tail of its text), elapsed time, and a
/// notice when the stream was resumed. Redrawn on a timer, not per event, so fast streams cost little.
/// </summary>
internal sealed class LiveStreamView(ClientRun run) : StreamView(run)
{
    private const int StatusLines = 3;
    private const int TailLines = 10;
    private const int TailChars = 4000;
    private const int ShownArtifacts = 3;
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(100);

    private readonly List<string> _statuses = [];
    private readonly List<ArtifactTail> _artifacts = [];
    private string? _resumed;
    private int _resumeCount;
    private string? _directMessage;

    /// <summary>Only on the process's own console, attached to an interactive terminal.</summary>
    public static bool IsSupported(TextWriter output) =>
        ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    public override async Task<TaskFold> ShowAsync(IAsyncEnumerable<StreamEvent> events, CancellationToken cancellationToken)
    {
        await AnsiConsole.Live(Render())
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .Cropping(VerticalOverflowCropping.Top)
            .StartAsync(live => RunAsync(live, events, cancellationToken))
            .ConfigureAwait(false);

        if (Fold.Task is { } task)
        {
            var state = task.Status.State;
            AnsiConsole.MarkupLine($"[{Color(state)}]{Markup.Escape(Display.State(state))}[/] task {Markup.Escape(task.Id)} in {Display.Elapsed(Elapsed)}");
        }

        return Fold;
    }

    private async Task RunAsync(LiveDisplayContext live, IAsyncEnumerable<StreamEvent> events, CancellationToken cancellationToken)
    {
        await using var enumerator = events.GetAsyncEnumerator(cancellationToken);
        using var timer = new PeriodicTimer(RefreshInterval);
        var next = enumerator.MoveNextAsync().AsTask();
        try
        {
            Task<bool>? tick = null;
            while (true)
            {
                tick ??= timer.WaitForNextTickAsync(cancellationToken).AsTask();

                // The tick first: a steady flood of events must not starve the redraw.
                var done = await Task.WhenAny(tick, next).ConfigureAwait(false);
                if (done == tick)
                {
                    await tick.ConfigureAwait(false);
                    tick = null;
                    live.UpdateTarget(Render());
                    live.Refresh();
                    continue;
                }

                if (!await next.ConfigureAwait(false))
                {
                    break;
                }

                if (enumerator.Current.FallbackCause is { } refusal)
                {
                    await ReportFallbackAsync(enumerator.Current, refusal).ConfigureAwait(false);
                }

                Apply(enumerator.Current);
                await OnEventAsync(enumerator.Current).ConfigureAwait(false);
                next = enumerator.MoveNextAsync().AsTask();
            }
        }
        finally
        {
            // An async iterator cannot be disposed while a MoveNextAsync is in flight (Ctrl+C during a wait).
            await Task.WhenAny(next).ConfigureAwait(false);
        }

        live.UpdateTarget(Render());
        live.Refresh();
    }

    protected override Task OnEventAsync(StreamEvent streamEvent)
    {
        if (streamEvent.Resumed is { } resumed)
        {
            _resumeCount = resumed.ResumeCount;
            _resumed = PlainStreamView.ResumedText(resumed);
        }

        var response = streamEvent.Response;
        if (response.Task is { } task)
        {
            _artifacts.Clear();
            foreach (var artifact in task.Artifacts ?? [])
            {
                Tail(artifact.ArtifactId, artifact.Name).Set(Display.Parts(artifact.Parts));
            }

            AddStatus(task.Status.Message);
        }
        else if (response.StatusUpdate is { } update)
        {
            AddStatus(update.Status.Message);
        }
        else if (response.ArtifactUpdate is { } update2)
        {
            var tail = Tail(update2.Artifact.ArtifactId, update2.Artifact.Name);
            var text = Display.Parts(update2.Artifact.Parts);
            if (update2.Append == true)
            {
                tail.Append(text);
            }
            else
            {
                tail.Set(text);
            }

            tail.Done = update2.LastChunk == true;
        }
        else if (response.Message is { } message)
        {
            _directMessage = Display.Parts(message.Parts);
        }

        return Task.CompletedTask;
    }

    private void AddStatus(Message? message)
    {
        if (message is not null && Display.OneLine(Display.Parts(message.Parts)) is { Length: > 0 } text)
        {
            _statuses.Add(text);
            if (_statuses.Count > StatusLines)
            {
                _statuses.RemoveAt(0);
            }
        }
    }

    private ArtifactTail Tail(string id, string? name)
    {
        var tail = _artifacts.Find(a => a.Id == id);
        if (tail is null)
        {
            tail = new ArtifactTail(id);
            _artifacts.Add(tail);
        }

        tail.Name = name ?? tail.Name;
        return tail;
    }

    private Rows Render()
    {
        var rows = new List<IRenderable>();
        var task = Fold.Task;
        var elapsed = Display.Elapsed(Elapsed);
        if (task is null)
        {
            rows.Add(new Markup(_directMessage is null ? $"[grey]waiting for the agent…[/]  {elapsed}" : $"[green]agent replied[/]  {elapsed}"));
        }
        else
        {
            var state = task.Status.State;
            rows.Add(new Markup($"[bold]Task[/] {Markup.Escape(task.Id)}  [{Color(state)}]{Markup.Escape(Display.State(state))}[/]  [grey]{elapsed}[/]"));
            rows.Add(new Markup($"[grey]context {Markup.Escape(task.ContextId ?? "-")}[/]"));
        }

        for (var i = 0; i < _statuses.Count; i++)
        {
            var style = i == _statuses.Count - 1 ? "white" : "grey";
            rows.Add(new Markup($"[{style}]» {Markup.Escape(_statuses[i])}[/]"));
        }

        if (_resumed is not null)
        {
            rows.Add(new Markup($"[yellow]⟳ {Markup.Escape(_resumed)}[/]" + (_resumeCount > 1 ? $" [yellow]({_resumeCount} times)[/]" : "")));
        }

        foreach (var artifact in _artifacts.Skip(Math.Max(0, _artifacts.Count - ShownArtifacts)))
        {
            var header = $"{Markup.Escape(artifact.Name ?? artifact.Id)} · {artifact.Chunks} chunk(s) · {artifact.Length} chars · " +
                (artifact.Done ? "[green]done[/]" : "[blue]streaming…[/]");
            rows.Add(new Panel(new Text(artifact.TailText(TailLines))) { Header = new PanelHeader(header), Expand = true });
        }

        if (_directMessage is not null)
        {
            rows.Add(new Panel(new Text(_directMessage)) { Header = new PanelHeader("agent"), Expand = true });
        }

        return new Rows(rows);
    }

    private static string Color(TaskState state) => state switch
    {
        TaskState.Completed => "green",
        TaskState.Failed or TaskState.Rejected => "red",
        TaskState.Canceled => "grey",
        TaskState.InputRequired or TaskState.AuthRequired => "yellow",
        _ => "blue",
    };

    /// <summary>An artifact's size and the end of its text: O(chunk) per chunk, whatever the artifact's size.</summary>
    private sealed class ArtifactTail(string id)
    {
        private readonly StringBuilder _tail = new();

        public string Id { get; } = id;

        public string? Name { get; set; }

        public int Chunks { get; private set; }

        public long Length { get; private set; }

        public bool Done { get; set; }

        public void Set(string text)
        {
            _tail.Clear();
            Chunks = 0;
            Length = 0;
            Append(text);
        }

        public void Append(string text)
        {
            Chunks++;
            Length += text.Length;
            _tail.Append(text);
            if (_tail.Length > TailChars)
            {
                _tail.Remove(0, _tail.Length - TailChars);
            }
        }

        public string TailText(int lines)
        {
            var text = _tail.ToString().TrimEnd('\r', '\n');
            var all = text.Split('\n');
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
    }
}
