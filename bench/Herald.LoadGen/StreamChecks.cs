using System.IO.Hashing;
using System.Numerics;

namespace Herald.LoadGen;

/// <summary>
/// What the load generator keeps of a stream's events for its checks, in constant space and with nothing allocated per
/// event: counts; the order of the chunks (chunk i must follow chunk i - 1, from 1, each once: a gap, a duplicate or a
/// reordering is an <see cref="OrderError"/>); the SSE ids (steps other than +1 counted); and a 64-bit fingerprint of
/// the exact event sequence from the first chunk on (each event's bytes hashed with XxHash3, the hashes chained in
/// order), which two subscribers share only if they received the same bytes in the same order.
/// </summary>
internal sealed class StreamChecks
{
    private const ulong Multiplier = 0x9E3779B97F4A7C15UL;

    private int _expectedChunk = 1;
    private long _lastId = -1;
    private ulong _fingerprint;

    public int Events { get; private set; }

    public int Chunks { get; private set; }

    /// <summary>Events from the first chunk on (the part of the stream <see cref="Fingerprint"/> covers).</summary>
    public int EventsFromFirstChunk { get; private set; }

    /// <summary>The first chunk out of order (gap, duplicate, reordering) or without a number; null while all are in order.</summary>
    public string? OrderError { get; private set; }

    /// <summary>Events whose SSE <c>id:</c> was not the previous event's id + 1 (servers that number events by their log).</summary>
    public int IdGaps { get; private set; }

    /// <summary>Events that carried a numeric SSE <c>id:</c>.</summary>
    public int EventsWithId { get; private set; }

    /// <summary>
    /// Identity of the received sequence from the first chunk to the end: equal for two streams that got identical
    /// bytes in identical order.
    /// </summary>
    public (int Events, ulong Hash) Fingerprint => (EventsFromFirstChunk, _fingerprint);

    /// <summary>Records one event: <paramref name="id"/> its SSE id or -1, <paramref name="data"/> its bytes.</summary>
    public void Add(long id, ReadOnlySpan<byte> data, in EventInfo info)
    {
        Events++;
        if (id >= 0)
        {
            if (_lastId >= 0 && id != _lastId + 1)
            {
                IdGaps++;
            }

            _lastId = id;
            EventsWithId++;
        }

        if (info.Kind == EventKind.Artifact || EventsFromFirstChunk > 0)
        {
            // Order-sensitive chaining of per-event hashes: (a, b) and (b, a) give different fingerprints.
            _fingerprint = (BitOperations.RotateLeft(_fingerprint, 27) ^ XxHash3.HashToUInt64(data)) * Multiplier;
            EventsFromFirstChunk++;
        }

        if (info.Kind == EventKind.Artifact)
        {
            Chunks++;
            if (info.ChunkNumber != _expectedChunk && OrderError is null)
            {
                OrderError = info.ChunkNumber == 0
                    ? $"chunk {Chunks} carries no chunk number"
                    : info.ChunkNumber < _expectedChunk
                        ? $"chunk {info.ChunkNumber} again or out of order after chunk {_expectedChunk - 1}"
                        : $"chunk {info.ChunkNumber} after chunk {_expectedChunk - 1}: {(info.ChunkNumber == _expectedChunk + 1 ? $"chunk {_expectedChunk} is" : $"chunks {_expectedChunk} to {info.ChunkNumber - 1} are")} missing";
            }

            _expectedChunk = Math.Max(_expectedChunk, info.ChunkNumber) + 1;
        }
    }
}
