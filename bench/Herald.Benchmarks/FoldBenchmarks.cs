using BenchmarkDotNet.Attributes;
using Herald.Server.Storage;

namespace Herald.Benchmarks;

/// <summary>
/// The fold is O(1) per event: applying a chunk to a task that already has 10 or 100,000 chunks costs
/// the same. Apply mutates the projection, so each iteration starts from a freshly built one and
/// applies <see cref="Invocations"/> events to it (the 10-chunk task therefore ends an iteration
/// at 10 + 4,096 chunks; what matters is that the cost does not follow the size).
/// </summary>
[MemoryDiagnoser]
[InvocationCount(Invocations)]
public class FoldBenchmarks
{
    private const int Invocations = 4096;

    private TaskProjection _projection = null!;
    private TaskEvent _chunk = null!;
    private TaskEvent _status = null!;

    [Params(10, 100_000)]
    public int Chunks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _chunk = Fixtures.ArtifactChunk(Chunks + 1).WithSequence(Chunks + 3);
        _status = Fixtures.WorkingStatus().WithSequence(Chunks + 3);
    }

    [IterationSetup]
    public void BuildProjection() => _projection = Fixtures.Projection(Chunks);

    [Benchmark(Baseline = true)]
    public void Apply_ArtifactChunk() => _projection.Apply(_chunk);

    [Benchmark]
    public void Apply_StatusUpdate() => _projection.Apply(_status);
}
