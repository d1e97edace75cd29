namespace Herald.LoadGen.Tests;

/// <summary>
/// The load generator's checks on what a stream delivered, through its real path (an HTTP response read by
/// <see cref="StreamRecorder"/>): each must pass on a good stream and fail on a gap, a duplicate, a reordering, a
/// missing end, and tell apart streams whose bytes differ.
/// </summary>
public sealed class StreamCheckTests
{
    private static readonly int[] InOrder = [.. Enumerable.Range(1, 20)];

    [Fact]
    public async Task ACompleteStreamInOrder_PassesEveryCheck()
    {
        var run = await Sse.RecordAsync(Sse.Stream(InOrder));
        Assert.Null(run.Error);
        Assert.True(run.Completed);
        Assert.Equal(20, run.Chunks);
        Assert.Equal(23, run.Events);
        Assert.Equal(21, run.EventsFromFirstChunk);
        Assert.Equal(0, run.IdGaps);
        Assert.Equal("t-1", run.TaskId);
    }

    [Fact]
    public async Task AMissingChunk_FailsTheStream()
    {
        var run = await Sse.RecordAsync(Sse.Stream(InOrder.Where(i => i != 7)));
        Assert.False(run.Completed);
        Assert.Contains("chunk 8 after chunk 6: chunk 7 is missing", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADuplicatedChunk_FailsTheStream_EvenWhenTheCountIsRight()
    {
        // 20 chunks, but 5 twice and 20 never: the count alone would pass.
        var run = await Sse.RecordAsync(Sse.Stream([.. Enumerable.Range(1, 5), 5, .. Enumerable.Range(6, 14)]));
        Assert.Equal(20, run.Chunks);
        Assert.False(run.Completed);
        Assert.Contains("chunk 5 again or out of order after chunk 5", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReordering_FailsTheStream()
    {
        var run = await Sse.RecordAsync(Sse.Stream([1, 2, 4, 3, .. Enumerable.Range(5, 16)]));
        Assert.Equal(20, run.Chunks);
        Assert.False(run.Completed);
        Assert.Contains("chunk 4 after chunk 2", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStreamWithoutItsTerminalEvent_Fails()
    {
        var events = new List<string> { Sse.Task(), Sse.Chunk(1) };
        var run = await Sse.RecordAsync(Sse.Frame(events));
        Assert.False(run.Completed);
        Assert.Equal("the stream ended without a terminal or interrupted state", run.Error);
    }

    [Fact]
    public async Task IdenticalStreams_ShareAFingerprint_WhateverTheReadSizes()
    {
        var a = await Sse.RecordAsync(Sse.Stream(InOrder), readSize: 3);
        var b = await Sse.RecordAsync(Sse.Stream(InOrder), readSize: 4096);
        Assert.Equal(a.Fingerprint, b.Fingerprint);
    }

    [Fact]
    public async Task StreamsThatDifferInOneByte_HaveDifferentFingerprints()
    {
        var a = await Sse.RecordAsync(Sse.Stream(InOrder));
        var b = await Sse.RecordAsync(Sse.Stream(InOrder, i => Sse.Chunk(i, timestampUs: i == 13 ? 5818329419 : 5818329418)));
        Assert.True(a.Completed && b.Completed);
        Assert.Equal(a.Fingerprint.Events, b.Fingerprint.Events);
        Assert.NotEqual(a.Fingerprint.Hash, b.Fingerprint.Hash);
    }

    [Fact]
    public void TheFingerprint_DependsOnTheOrderOfTheEvents()
    {
        // Same events, two orders, fed straight to the checks (the chunk numbers are not what differs here).
        var x = "{\"x\":1}"u8.ToArray();
        var y = "{\"y\":2}"u8.ToArray();
        var chunk = new EventInfo { Kind = EventKind.Artifact, ChunkNumber = 1 };
        var other = new EventInfo { Kind = EventKind.Status };
        var first = new StreamChecks();
        first.Add(-1, x, chunk);
        first.Add(-1, x, other);
        first.Add(-1, y, other);
        var second = new StreamChecks();
        second.Add(-1, x, chunk);
        second.Add(-1, y, other);
        second.Add(-1, x, other);
        Assert.NotEqual(first.Fingerprint, second.Fingerprint);
    }

    [Fact]
    public async Task SseIdsThatSkip_AreCounted()
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(
            $"id: 1\ndata: {Sse.Task()}\n\nid: 2\ndata: {Sse.Chunk(1)}\n\nid: 5\ndata: {Sse.Chunk(2)}\n\nid: 6\ndata: {Sse.Status("TASK_STATE_COMPLETED")}\n\n");
        var run = await Sse.RecordAsync(bytes);
        Assert.True(run.Completed);
        Assert.Equal(1, run.IdGaps);
    }

    [Fact]
    public void TheClient_IsFlaggedWhenItSpendsMoreCpuPerEventThanTheServer()
    {
        var m = new Measurement { Name = "stream N=1000" };
        ServerSample.AddSum(m, [(new ServerSample(0, CpuMs: 100, Gc: null, ClientCpuMs: 1000), new ServerSample(0, CpuMs: 110, Gc: null, ClientCpuMs: 1020))], events: 1000);
        Assert.Equal(10, m.Metrics["server_cpu_us_per_event"], 6);
        Assert.Equal(20, m.Metrics["client_cpu_us_per_event"], 6);
        Assert.True(m.ClientBound);

        var n = new Measurement { Name = "stream N=1000" };
        ServerSample.AddSum(n, [(new ServerSample(0, CpuMs: 100, Gc: null, ClientCpuMs: 1000), new ServerSample(0, CpuMs: 130, Gc: null, ClientCpuMs: 1020))], events: 1000);
        Assert.False(n.ClientBound);
    }
}
