using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Herald.Protocol;
using Herald.Server;
using Herald.Server.Engine;
using Herald.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Herald.Benchmarks;

/// <summary>
/// The per-event path with and without a listener, in process: one streamed task of <see cref="Events"/> artifact chunks
/// (agent report, durable write to the in-memory store, wake-up, the stream's read) under an A2A operation, as a binding
/// serves SendStreamingMessage (its async-local flows into the run). Without a listener Herald's instrumentation is a
/// few checks per write and per read; with one (an <see cref="ActivityListener"/> recording every Herald span and a
/// <see cref="MeterListener"/> taking every Herald measurement) the spans, tags and measurements are made.
/// Results are per event (<c>OperationsPerInvoke</c>).
/// </summary>
[MemoryDiagnoser]
public class TelemetryBenchmarks : IDisposable
{
    private const int Events = 1000;

    private ServiceProvider _services = null!;
    private TaskEngine _engine = null!;
    private ActivityListener? _activities;
    private MeterListener? _meters;
    private readonly string _taskId = Fixtures.TaskId;
    private long _observed;

    [Params(false, true)]
    public bool Listening { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (Listening)
        {
            _activities = new ActivityListener
            {
                ShouldListenTo = source => source.Name == HeraldDiagnostics.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _ => Interlocked.Increment(ref _observed),
            };
            ActivitySource.AddActivityListener(_activities);
            _meters = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == HeraldDiagnostics.Name)
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            _meters.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref _observed));
            _meters.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref _observed));
            _meters.Start();
        }

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddHerald().AddAgent(async (context, cancellationToken) =>
        {
            await context.StartWorkAsync(cancellationToken: cancellationToken);
            for (var i = 1; i <= Events; i++)
            {
                await context.AppendTextAsync("chunks", "chunk", lastChunk: i == Events, cancellationToken: cancellationToken);
            }

            await context.CompleteAsync(cancellationToken: cancellationToken);
        });
        _services = services.BuildServiceProvider();
        _engine = _services.GetRequiredService<TaskEngine>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.ShutdownAsync(CancellationToken.None).GetAwaiter().GetResult();
        _services.Dispose();
        _activities?.Dispose();
        _meters?.Dispose();
        if (Listening && Interlocked.Read(ref _observed) == 0)
        {
            throw new InvalidOperationException("The listener observed nothing: the 'with a listener' figures would measure nothing.");
        }
    }

    public void Dispose()
    {
        _services?.Dispose();
        _activities?.Dispose();
        _meters?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Only the instrumentation the per-event path runs, statement for statement: one durable write's
    /// (<c>ReportWriter.AppendRetryingAsync</c>: its span, tags, latency and count) and one stream read's
    /// (<c>TaskStream.ReadAsync</c>: the lag). Without a listener this is what "off" costs per write and per read.
    /// </summary>
    [Benchmark]
    public void InstrumentationOfOneWriteAndOneRead()
    {
        using (var activity = Telemetry.Source.StartActivity("herald.store.append"))
        {
            activity?.SetTag("a2a.task.id", _taskId);
            activity?.SetTag("herald.store.events", 1);
            var started = Telemetry.AppendDuration.Enabled ? Stopwatch.GetTimestamp() : 0;
            if (started != 0)
            {
                Telemetry.AppendDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }

            Telemetry.EventsAppended.Add(1);
        }

        if (Telemetry.StreamLag.Enabled)
        {
            Telemetry.StreamLag.Record(0);
        }
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task<int> StreamedTask_PerEvent()
    {
        using var operation = A2AOperation.Start(NullLogger.Instance, "SendStreamingMessage", "JSONRPC", "jsonrpc", "1.0");
        await using var stream = await _engine.SendStreamingMessageAsync(Caller.Anonymous, new SendMessageRequest { Message = Message.UserText("go") });
        var batch = new List<TaskEvent>();
        var delivered = 0;
        while (true)
        {
            batch.Clear();
            if (await stream.ReadAsync(batch, CancellationToken.None) == TaskStreamRead.End)
            {
                return delivered;
            }

            delivered += batch.Count;
        }
    }
}
