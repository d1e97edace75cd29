using System.Text;
using Herald.Protocol;
using Herald.Server.Storage;

namespace Herald.Server.Tests.Storage;

/// <summary>Per-format bytes of an event: computed once, shared by every reader, with or without a context.</summary>
public sealed class EventEncodingTests
{
    private static readonly CountingEncoding Plain = new();
    private static readonly CountingContextEncoding WithContext = new();

    private static TaskEvent Artifact() => TaskEvent.ForArtifact(
        3,
        new TaskArtifactUpdateEvent { TaskId = "t", ContextId = "c", Artifact = new Artifact { ArtifactId = "a", Parts = [Part.FromText("x")] } },
        DateTimeOffset.UnixEpoch);

    [Fact]
    public void GetEncoded_TwoReaders_EncodesOnceAndSharesTheBytes()
    {
        var e = Artifact();
        var before = Plain.Calls;

        var first = e.GetEncoded(Plain);
        var second = e.GetEncoded(Plain);

        Assert.Equal(before + 1, Plain.Calls);
        Assert.True(first.Span == second.Span, "the same memory, not an equal copy");
        Assert.Equal("plain 3", Encoding.UTF8.GetString(first.Span));
    }

    [Fact]
    public void GetEncodedWithContext_FirstContextProducesTheSharedBytes()
    {
        var e = Artifact();
        var before = WithContext.Calls;

        var first = e.GetEncoded(WithContext, 7);
        var second = e.GetEncoded(WithContext, 7);

        Assert.Equal(before + 1, WithContext.Calls);
        Assert.Equal("index 7 of 3", Encoding.UTF8.GetString(first.Span));
        Assert.True(first.Span == second.Span);
    }

    [Fact]
    public void GetEncoded_TwoFormats_KeepTheirOwnBytes()
    {
        var e = Artifact();

        var withContext = e.GetEncoded(WithContext, 1);
        var plain = e.GetEncoded(Plain);

        Assert.Equal("index 1 of 3", Encoding.UTF8.GetString(withContext.Span));
        Assert.Equal("plain 3", Encoding.UTF8.GetString(plain.Span));
    }

    [Fact]
    public void GetEncoded_ContextEncodingWithoutContext_Throws()
    {
        var e = Artifact();

        Assert.Throws<InvalidOperationException>(() => e.GetEncoded((EventEncoding)WithContext));
    }

    private sealed class CountingEncoding : EventEncoding
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        protected internal override byte[] Encode(TaskEvent taskEvent)
        {
            Interlocked.Increment(ref _calls);
            return Encoding.UTF8.GetBytes($"plain {taskEvent.Sequence}");
        }
    }

    private sealed class CountingContextEncoding : EventEncoding<int>
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        protected internal override byte[] Encode(TaskEvent taskEvent, int context)
        {
            Interlocked.Increment(ref _calls);
            return Encoding.UTF8.GetBytes($"index {context} of {taskEvent.Sequence}");
        }
    }
}
