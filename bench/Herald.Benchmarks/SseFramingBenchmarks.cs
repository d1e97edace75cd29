using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Herald.AspNetCore.Sse;

namespace Herald.Benchmarks;

/// <summary>
/// SSE framing of one stream event (<c>id:</c> + <c>data:</c> envelope prefix + shared event bytes +
/// suffix): Herald's <see cref="SseWriter"/> straight into a pipe, against the BCL's
/// <see cref="SseFormatter"/> writing the same events to the same pipe through a stream. Costs are
/// per event, over a batch of <see cref="Batch"/> events; the pipe is drained after each batch.
/// </summary>
[MemoryDiagnoser]
public class SseFramingBenchmarks
{
    private const int Batch = 100;

    private static readonly byte[] Prefix = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":"u8.ToArray();
    private static readonly byte[] Suffix = "}"u8.ToArray();

    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private byte[] _payload = [];
    private SseItem<byte[]>[] _items = [];
    private Stream _stream = Stream.Null;

    [GlobalSetup]
    public void Setup()
    {
        var e = Fixtures.ArtifactChunk(42).WithSequence(1000);
        _payload = e.GetV1Json().ToArray();
        _items = Enumerable.Range(0, Batch)
            .Select(i => new SseItem<byte[]>(_payload) { EventId = (1000 + i).ToString(CultureInfo.InvariantCulture) })
            .ToArray();
        _stream = _pipe.Writer.AsStream(leaveOpen: true);
    }

    /// <summary>As Herald's tail loop does: a batch of events, one flush.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public async Task<long> SseWriter_FlushPerBatch()
    {
        var writer = _pipe.Writer;
        for (var i = 0; i < Batch; i++)
        {
            SseWriter.WriteEvent(writer, 1000 + i, default, Prefix, _payload, Suffix);
        }

        await writer.FlushAsync();
        return Drain();
    }

    /// <summary>One flush per event, like SseFormatter and like the reference server.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task<long> SseWriter_FlushPerEvent()
    {
        var writer = _pipe.Writer;
        for (var i = 0; i < Batch; i++)
        {
            SseWriter.WriteEvent(writer, 1000 + i, default, Prefix, _payload, Suffix);
            await writer.FlushAsync();
        }

        return Drain();
    }

    /// <summary>The BCL formatter, composing the same envelope in its item formatter.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task<long> SseFormatter_WriteAsync()
    {
        await SseFormatter.WriteAsync(Items(), _stream, static (item, buffer) =>
        {
            buffer.Write(Prefix);
            buffer.Write(item.Data);
            buffer.Write(Suffix);
        });
        return Drain();
    }

    private async IAsyncEnumerable<SseItem<byte[]>> Items([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var item in _items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return item;
        }

        await Task.CompletedTask;
    }

    private long Drain()
    {
        if (!_pipe.Reader.TryRead(out var result))
        {
            return 0;
        }

        var length = result.Buffer.Length;
        _pipe.Reader.AdvanceTo(result.Buffer.End);
        return length;
    }
}
