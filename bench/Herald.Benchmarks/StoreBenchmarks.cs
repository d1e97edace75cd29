using BenchmarkDotNet.Attributes;
using Herald.Server.Storage;

namespace Herald.Benchmarks;

/// <summary>
/// The in-memory log: append (sequence + fold + wake-up signal), and what a subscriber does after a
/// wake-up. Each iteration starts from a store whose task already holds <see cref="Chunks"/> chunks.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(Invocations)]
public class StoreBenchmarks
{
    private const int Invocations = 4096;
    private const int ReadBatch = 256;

    private InMemoryTaskStore _store = null!;
    private TaskEvent _chunk = null!;
    private long _position;

    [Params(10, 10_000)]
    public int Chunks { get; set; }

    [GlobalSetup]
    public void Setup() => _chunk = Fixtures.ArtifactChunk(Chunks + 1);

    [IterationSetup]
    public void BuildStore()
    {
        _store = Fixtures.Store(Chunks);
        _position = Chunks + 2;
    }

    [Benchmark(Baseline = true)]
    public ValueTask<TaskEvent> Append() => _store.AppendAsync(Fixtures.TaskId, _chunk);

    /// <summary>A subscriber waiting at the end of the log: register the wait, append, wake, read the new event.</summary>
    [Benchmark]
    public async Task<int> Wait_Append_Read()
    {
        var wait = _store.WaitForEventsAsync(Fixtures.TaskId, _position);
        var appended = await _store.AppendAsync(Fixtures.TaskId, _chunk);
        await wait;
        var batch = await _store.ReadAsync(Fixtures.TaskId, _position, ReadBatch);
        _position = appended.Sequence;
        return batch.Count;
    }
}
