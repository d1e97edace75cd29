using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Herald.LoadGen;
using Herald.Protocol;

namespace Herald.Benchmarks;

/// <summary>
/// The load generator's per-event work (issue 20): a recorded SSE response of one streamed task as Herald sends it over
/// JSON-RPC v1.0 (<c>id: n</c>, <c>data: {"jsonrpc":"2.0","id":1,"result":{...}}</c>: the task, the working status,
/// <see cref="Chunks"/> artifact chunks, completed) read from a stream that returns at most <see cref="ReadSize"/> bytes
/// per read (512: about one event per read, as when the client keeps up with a flush per event; 16 KiB: many). Costs are
/// per event, with the per-stream objects (recorder, buffers) included.
/// <para>
/// <c>Before</c> is the load generator as it was: the BCL's <see cref="SseParser"/> (an id string per event), a full
/// <see cref="Utf8JsonReader"/> pass over every event (<see cref="EventParser.Parse"/>) and a 32-bit
/// <see cref="HashCode"/> of the bytes. <c>After</c> is <see cref="StreamRecorder"/> itself, fed by
/// <see cref="SseEventReader"/>: bytes in place, chunk events recognised from their first tokens, the order checked on
/// the chunk numbers, a 64-bit XxHash3 chain.
/// </para>
/// </summary>
[MemoryDiagnoser]
public class LoadGenParsingBenchmarks
{
    /// <summary>Chunks in the recorded stream; with the task, the working status and completed, <see cref="Events"/> events.</summary>
    private const int Chunks = 10_000;

    private const int Events = Chunks + 3;

    private byte[] _recorded = [];

    [Params(512, 16384)]
    public int ReadSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _recorded = Record(Chunks);

        // Both paths must see every event and every chunk, and the new one find the chunks in order.
        var before = Before().GetAwaiter().GetResult();
        var after = After().GetAwaiter().GetResult();
        if (before != Chunks || after != Chunks)
        {
            throw new InvalidOperationException($"expected {Chunks} chunks, before read {before}, after read {after}");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public async Task<int> Before()
    {
        var recorder = new BaselineRecorder();
        var parser = SseParser.Create(new ChunkedStream(_recorded, ReadSize), (_, data) => recorder.OnEvent(data));
        await foreach (var _ in parser.EnumerateAsync())
        {
        }

        return recorder.Completed ? recorder.Chunks : -1;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task<int> After()
    {
        var recorder = new StreamRecorder();
        await SseEventReader.ReadAsync(new ChunkedStream(_recorded, ReadSize), recorder, CancellationToken.None);
        return recorder.Completed ? recorder.Chunks : -1;
    }

    /// <summary>The events as Herald frames them, payloads serialized by Herald's own code.</summary>
    internal static byte[] Record(int chunks)
    {
        var output = new MemoryStream();
        var sequence = 0L;
        void Write(ReadOnlySpan<byte> payload)
        {
            output.Write(Encoding.ASCII.GetBytes(FormattableString.Invariant($"id: {++sequence}\ndata: ")));
            output.Write("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":"u8);
            output.Write(payload);
            output.Write("}\n\n"u8);
        }

        Write(JsonSerializer.SerializeToUtf8Bytes(new StreamResponse { Task = Fixtures.NewTask() }, A2AJsonContext.Default.StreamResponse));
        Write(Fixtures.WorkingStatus().GetV1Json().Span);
        for (var i = 1; i <= chunks; i++)
        {
            Write(Fixtures.ArtifactChunk(i, append: i > 1).GetV1Json().Span);
        }

        Write(JsonSerializer.SerializeToUtf8Bytes(new StreamResponse
        {
            StatusUpdate = new TaskStatusUpdateEvent
            {
                TaskId = Fixtures.TaskId,
                ContextId = Fixtures.ContextId,
                Status = new AgentTaskStatus { State = TaskState.Completed, Timestamp = DateTimeOffset.UnixEpoch },
            },
        }, A2AJsonContext.Default.StreamResponse));
        return output.ToArray();
    }

    /// <summary>The per-event part of the load generator's recorder before issue 20, as it was.</summary>
    private sealed class BaselineRecorder
    {
        private HashCode _hash;

        public int Events { get; private set; }

        public int Chunks { get; private set; }

        public int EventsFromFirstChunk { get; private set; }

        public long FirstEventTicks { get; private set; }

        public long FirstChunkTicks { get; private set; }

        public string? TaskId { get; private set; }

        public string? FinalState { get; private set; }

        public string? Error { get; private set; }

        public bool Completed => FinalState == "completed" && Error is null;

        public int Fingerprint => _hash.ToHashCode();

        public bool OnEvent(ReadOnlySpan<byte> data)
        {
            var info = EventParser.Parse(data);
            var now = Stopwatch.GetTimestamp();
            Events++;
            if (info.Kind == EventKind.Artifact || FirstChunkTicks != 0)
            {
                _hash.AddBytes(data);
                EventsFromFirstChunk++;
            }

            if (Events == 1)
            {
                FirstEventTicks = now;
                TaskId = info.TaskId;
            }

            switch (info.Kind)
            {
                case EventKind.Artifact:
                    Chunks++;
                    if (FirstChunkTicks == 0)
                    {
                        FirstChunkTicks = now;
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

            return true;
        }
    }

    /// <summary>A response body that returns at most a fixed number of bytes per read, synchronously.</summary>
    private sealed class ChunkedStream(byte[] bytes, int readSize) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => bytes.Length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(Math.Min(buffer.Length, readSize), bytes.Length - _position);
            bytes.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
