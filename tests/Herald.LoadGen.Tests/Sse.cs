using System.Globalization;
using System.Text;

namespace Herald.LoadGen.Tests;

/// <summary>Events shaped as Herald sends them (JSON-RPC v1.0 envelope, <c>id:</c> = sequence), and ways to feed them.</summary>
internal static class Sse
{
    public static string Task(string state = "TASK_STATE_SUBMITTED") =>
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"task\":{\"id\":\"t-1\",\"contextId\":\"c-1\",\"status\":{\"state\":\"" + state + "\"}}}}";

    public static string Status(string state) =>
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"statusUpdate\":{\"taskId\":\"t-1\",\"contextId\":\"c-1\",\"status\":{\"state\":\"" + state + "\"}}}}";

    public static string Chunk(int number, long timestampUs = 5818329418, string text = "") =>
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"artifactUpdate\":{\"taskId\":\"t-1\",\"contextId\":\"c-1\",\"artifact\":{\"artifactId\":\"chunks\",\"parts\":[{\"text\":\"chunk "
        + number.ToString("D6", CultureInfo.InvariantCulture) + " " + text + "\"}],\"metadata\":{\"benchTsUs\":" + timestampUs.ToString(CultureInfo.InvariantCulture) + "}},\"append\":true}}}";

    /// <summary>A whole stream: task, working, the chunks in the given order, completed; ids 1, 2, 3, ...</summary>
    public static byte[] Stream(IEnumerable<int> chunks, Func<int, string>? chunk = null)
    {
        var events = new List<string> { Task(), Status("TASK_STATE_WORKING") };
        events.AddRange(chunks.Select(chunk ?? (i => Chunk(i))));
        events.Add(Status("TASK_STATE_COMPLETED"));
        return Frame(events);
    }

    public static byte[] Frame(IEnumerable<string> events)
    {
        var text = new StringBuilder();
        var id = 0;
        foreach (var e in events)
        {
            text.Append("id: ").Append(++id).Append("\ndata: ").Append(e).Append("\n\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Reads <paramref name="bytes"/> through <see cref="SseEventReader"/>, <paramref name="readSize"/> bytes per read at most.</summary>
    public static async Task<List<(long Id, string Data)>> ReadAsync(byte[] bytes, int readSize = int.MaxValue)
    {
        var sink = new CollectingSink();
        await SseEventReader.ReadAsync(new TrickleStream(bytes, readSize), sink, CancellationToken.None, bufferSize: 4096);
        return sink.Events;
    }

    /// <summary>Records <paramref name="bytes"/> with a <see cref="StreamRecorder"/>, as the load generator reads a response.</summary>
    public static async Task<StreamRecorder> RecordAsync(byte[] bytes, int readSize = 700)
    {
        using var http = new HttpClient(new SseHandler(bytes, readSize));
        var recorder = new StreamRecorder();
        await recorder.RunAsync(http, new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1/"), CancellationToken.None);
        return recorder;
    }

    private sealed class CollectingSink : ISseEventSink
    {
        public List<(long Id, string Data)> Events { get; } = [];

        public void OnSseEvent(long id, ReadOnlySpan<byte> data) => Events.Add((id, Encoding.UTF8.GetString(data)));
    }

    /// <summary>An HTTP response of type text/event-stream whose body arrives a few bytes at a time.</summary>
    private sealed class SseHandler(byte[] bytes, int readSize) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StreamContent(new TrickleStream(bytes, readSize)) };
            response.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/event-stream");
            return System.Threading.Tasks.Task.FromResult(response);
        }
    }

    /// <summary>Returns at most <c>readSize</c> bytes per read, and yields before each asynchronous read.</summary>
    public sealed class TrickleStream(byte[] bytes, int readSize) : Stream
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

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await System.Threading.Tasks.Task.Yield();
            return Read(buffer.Span);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
