using System.Buffers;

namespace Herald.AspNetCore.Http;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over plain arrays that grow from 16 KiB to 1 MiB each, for encoding an answer whose
/// bytes are then copied once into an array of their own size (<see cref="ToArray"/>). Nothing is pooled: a large answer
/// built here leaves short-lived garbage that the next collection takes, not megabytes kept in a pool for good.
/// </summary>
internal sealed class ChunkedBufferWriter : IBufferWriter<byte>
{
    private const int FirstChunk = 16 * 1024;
    private const int LargestChunk = 1024 * 1024;

    private readonly List<(byte[] Chunk, int Used)> _full = [];
    private byte[] _current = [];
    private int _used;
    private long _fullBytes;

    public long WrittenCount => _fullBytes + _used;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_used + count > _current.Length)
        {
            throw new InvalidOperationException("Advanced past the buffer.");
        }

        _used += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _current.AsMemory(_used);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _current.AsSpan(_used);
    }

    /// <summary>The written bytes in one array of their own size.</summary>
    public byte[] ToArray()
    {
        var result = GC.AllocateUninitializedArray<byte>(checked((int)WrittenCount));
        var at = 0;
        foreach (var (chunk, used) in _full)
        {
            chunk.AsSpan(0, used).CopyTo(result.AsSpan(at));
            at += used;
        }

        _current.AsSpan(0, _used).CopyTo(result.AsSpan(at));
        return result;
    }

    private void Ensure(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_current.Length - _used >= needed)
        {
            return;
        }

        if (_used > 0)
        {
            _full.Add((_current, _used));
            _fullBytes += _used;
        }

        var next = _current.Length == 0 ? FirstChunk : Math.Min(LargestChunk, 2 * _current.Length);
        _current = GC.AllocateUninitializedArray<byte>(Math.Max(next, needed));
        _used = 0;
    }
}
