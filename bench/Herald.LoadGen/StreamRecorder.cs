using System.Diagnostics;

namespace Herald.LoadGen;

/// <summary>
/// Runs one SSE stream (a streaming send or a subscription) to its end and records what arrived:
/// counts, the chunks' order, a hash of the exact event sequence from the first chunk on (<see cref="StreamChecks"/>),
/// timings, and (optionally) per-chunk latencies. Per event it reads bytes in place and allocates nothing (a latency
/// list, when asked for, is sized up front).
/// </summary>
internal sealed partial class StreamRecorder : ISseEventSink
{
    private readonly List<long>? _latenciesUs;
    private readonly StreamChecks _checks = new();

    public StreamRecorder(bool recordLatency = false, int expectedChunks = 0)
    {
        if (recordLatency)
        {
            _latenciesUs = new List<long>(Math.Max(16, expectedChunks));
        }
    }

    public int Events => _checks.Events;

    public int Chunks => _checks.Chunks;

    /// <summary>SSE ids that were not the previous id + 1 (see <see cref="StreamChecks.IdGaps"/>).</summary>
    public int IdGaps => _checks.IdGaps;

    public string? TaskId { get; private set; }

    public string? FinalState { get; private set; }

    public string? Error { get; private set; }

    /// <summary>The first event was a task snapshot that already carried artifacts: this subscriber came late.</summary>
    public bool JoinedLate { get; private set; }

    public long StartTicks { get; private set; }

    public long FirstEventTicks { get; private set; }

    public long FirstChunkTicks { get; private set; }

    public long EndTicks { get; private set; }

    /// <summary>True once the first event (the task) arrived: the stream is open.</summary>
    public bool Opened => FirstEventTicks != 0;

    /// <summary>True when the server ended the stream (cleanly or not).</summary>
    public bool Ended => EndTicks != 0;

    public bool Completed => FinalState == "completed" && Error is null;

    /// <summary>Events from the first chunk on (the part of the stream <see cref="Fingerprint"/> covers).</summary>
    public int EventsFromFirstChunk => _checks.EventsFromFirstChunk;

    /// <summary>
    /// Identity of the received sequence from the first chunk to the end: equal for two subscribers that got identical
    /// bytes in identical order. What comes before the first chunk may differ legitimately: a subscriber that attached
    /// before the agent's working status gets it as an event, one that attached after finds it in the snapshot.
    /// </summary>
    public (int Events, ulong Hash) Fingerprint => _checks.Fingerprint;

    public IReadOnlyList<long> LatenciesUs => _latenciesUs ?? [];

    public TaskCompletionSource FirstEvent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    void ISseEventSink.OnSseEvent(long id, ReadOnlySpan<byte> data) => OnEvent(id, data, EventParser.ParseFast(data, _latenciesUs is not null));

    /// <summary>Records one event; public for the load generator's tests.</summary>
    public void OnEvent(long id, ReadOnlySpan<byte> data, in EventInfo info)
    {
        _checks.Add(id, data, info);
        if (Events == 1)
        {
            FirstEventTicks = Stopwatch.GetTimestamp();
            TaskId = info.TaskId;
            JoinedLate = info.Kind == EventKind.Task && info.HasArtifacts;
            FirstEvent.TrySetResult();
        }

        switch (info.Kind)
        {
            case EventKind.Artifact:
                if (FirstChunkTicks == 0)
                {
                    FirstChunkTicks = Stopwatch.GetTimestamp();
                }

                if (_latenciesUs is not null && info.TimestampUs > 0)
                {
                    _latenciesUs.Add(Herald.Bench.BenchClock.NowMicroseconds() - info.TimestampUs);
                }

                if (_checks.OrderError is { } order)
                {
                    Error ??= "chunks out of order: " + order;
                }

                break;
            case EventKind.Error:
                Error = "in-stream error: " + info.ErrorMessage;
                break;
            default:
                if (info.EndsStream)
                {
                    FinalState = info.State;
                }

                break;
        }
    }
}
