using BenchmarkDotNet.Attributes;
using Herald.Server.Storage;

namespace Herald.Benchmarks;

/// <summary>
/// Subscription wake-up across threads, as in a server: a subscriber loop parked in
/// <c>WaitForEventsAsync</c> on a thread-pool thread; the benchmark appends one event and waits until
/// the subscriber has read it (append → signal → continuation scheduled → read → acknowledge).
/// </summary>
[MemoryDiagnoser]
public class WakeUpBenchmarks : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private InMemoryTaskStore _store = null!;
    private TaskEvent _status = null!;
    private Task _subscriber = Task.CompletedTask;
    private TaskCompletionSource _read = NewAck();

    [GlobalSetup]
    public void Setup()
    {
        _store = Fixtures.Store(0);
        _status = Fixtures.WorkingStatus();
        _subscriber = Task.Run(SubscribeAsync);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop.Cancel();
        try
        {
            _subscriber.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public async Task Append_WakeSubscriber_Read()
    {
        var read = _read.Task;
        await _store.AppendAsync(Fixtures.TaskId, _status);
        await read;
    }

    private async Task SubscribeAsync()
    {
        var position = 2L;
        while (!_stop.IsCancellationRequested)
        {
            await _store.WaitForEventsAsync(Fixtures.TaskId, position, _stop.Token);
            var batch = await _store.ReadAsync(Fixtures.TaskId, position, 256);
            position = batch[^1].Sequence;
            Interlocked.Exchange(ref _read, NewAck()).TrySetResult();
        }
    }

    private static TaskCompletionSource NewAck() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
