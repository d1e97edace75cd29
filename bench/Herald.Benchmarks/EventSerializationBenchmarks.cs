using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Benchmarks;

/// <summary>
/// Serialize once: an event's v1.0 bytes cost the same whatever the size of its task, and every
/// further subscriber gets the cached bytes. For contrast, what a server that sends (or copies) the
/// whole task per event pays: serializing a full <c>StreamResponse { task }</c>.
/// </summary>
[MemoryDiagnoser]
public class EventSerializationBenchmarks
{
    private TaskEvent _artifactDraft = null!;
    private TaskEvent _statusDraft = null!;
    private TaskEvent _cached = null!;
    private StreamResponse _fullTask = null!;

    /// <summary>Chunks already in the task's artifact.</summary>
    [Params(10, 10_000)]
    public int Chunks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _artifactDraft = Fixtures.ArtifactChunk(Chunks + 1);
        _statusDraft = Fixtures.WorkingStatus();
        _cached = _artifactDraft.WithSequence(Chunks + 3);
        _cached.GetV1Json();
        _fullTask = new StreamResponse { Task = Fixtures.Projection(Chunks).ToTask() };
    }

    /// <summary>First call on a new event: serializes the artifact update (what the first subscriber pays).</summary>
    [Benchmark(Baseline = true)]
    public ReadOnlyMemory<byte> ArtifactEvent_GetV1Json() => _artifactDraft.WithSequence(Chunks + 3).GetV1Json();

    [Benchmark]
    public ReadOnlyMemory<byte> StatusEvent_GetV1Json() => _statusDraft.WithSequence(Chunks + 3).GetV1Json();

    /// <summary>Every further subscriber: the cached bytes.</summary>
    [Benchmark]
    public ReadOnlyMemory<byte> ArtifactEvent_GetV1Json_Cached() => _cached.GetV1Json();

    /// <summary>The whole task as one StreamResponse: O(chunks), what per-event task copies cost.</summary>
    [Benchmark]
    public byte[] FullTask_SerializeStreamResponse() => JsonSerializer.SerializeToUtf8Bytes(_fullTask, A2AJsonContext.Default.StreamResponse);
}
