using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace Herald.Cli.Agents;

/// <summary>
/// Splits a command's output into lines, and lines longer than a limit into several pieces, reading raw bytes in
/// fixed-size blocks: memory stays at one block plus one line buffer however long a line is, even one that never
/// ends (a <see cref="StreamReader.ReadLineAsync()"/> would grow its buffer until the process runs out of memory).
/// </summary>
internal static class OutputChunker
{
    private const int BlockSize = 16 * 1024;

    /// <summary>Invalid UTF-8 becomes U+FFFD, so every chunk is text any JSON writer can encode.</summary>
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>
    /// Yields each line with its end written as <c>"\n"</c> (whether the command wrote <c>\n</c>, <c>\r\n</c> or
    /// <c>\r</c>), a line longer than <paramref name="maxLineBytes"/> as pieces of at most that many UTF-8 bytes
    /// (cut between characters, never inside one; only the last piece carries the <c>"\n"</c>), and what follows
    /// the last line end as it is. Ends at end of stream or, keeping what was read so far, when
    /// <paramref name="cancellationToken"/> fires while it waits for more.
    /// </summary>
    public static async IAsyncEnumerable<string> ReadAsync(Stream stream, int maxLineBytes, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 4);
        var block = ArrayPool<byte>.Shared.Rent(BlockSize);
        var line = ArrayPool<byte>.Shared.Rent(maxLineBytes);
        try
        {
            var length = 0;
            var afterCarriageReturn = false;
            while (true)
            {
                int read;
                try
                {
                    read = await stream.ReadAsync(block.AsMemory(0, BlockSize), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    read = 0;
                }

                if (read == 0)
                {
                    break;
                }

                var start = 0;
                while (start < read)
                {
                    if (afterCarriageReturn)
                    {
                        afterCarriageReturn = false;
                        if (block[start] == (byte)'\n')
                        {
                            // The second half of a \r\n whose \r ended the previous block.
                            start++;
                            continue;
                        }
                    }

                    // Indices, not spans: a span cannot live across a yield.
                    var end = block.AsSpan(start, read - start).IndexOfAny((byte)'\n', (byte)'\r');
                    var contentEnd = end < 0 ? read : start + end;

                    // Fill the line buffer; a full buffer with more content to come goes out as one piece.
                    while (length + (contentEnd - start) > maxLineBytes)
                    {
                        var fits = maxLineBytes - length;
                        Array.Copy(block, start, line, length, fits);
                        start += fits;
                        var cut = CharacterBoundary(line.AsSpan(0, maxLineBytes));
                        var piece = Utf8.GetString(line, 0, cut);
                        Array.Copy(line, cut, line, 0, maxLineBytes - cut);
                        length = maxLineBytes - cut;
                        yield return piece;
                    }

                    Array.Copy(block, start, line, length, contentEnd - start);
                    length += contentEnd - start;
                    if (end < 0)
                    {
                        break;
                    }

                    var text = Utf8.GetString(line, 0, length) + "\n";
                    length = 0;
                    afterCarriageReturn = block[contentEnd] == (byte)'\r';
                    start = contentEnd + 1;
                    yield return text;
                }
            }

            if (length > 0)
            {
                yield return Utf8.GetString(line, 0, length);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(line);
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    /// <summary>
    /// Where to cut a full buffer so that no UTF-8 character is split: before the lead byte of a trailing
    /// multi-byte sequence (at most three bytes back); where there is none, invalid bytes, at the end.
    /// </summary>
    internal static int CharacterBoundary(ReadOnlySpan<byte> full)
    {
        for (var back = 1; back <= 3 && back < full.Length; back++)
        {
            var b = full[^back];
            if ((b & 0b1100_0000) != 0b1000_0000)
            {
                // A lead byte (or ASCII): cut before it if its sequence does not fit in what is left.
                var needed = b >= 0b1111_0000 ? 4 : b >= 0b1110_0000 ? 3 : b >= 0b1100_0000 ? 2 : 1;
                return needed > back ? full.Length - back : full.Length;
            }
        }

        return full.Length;
    }
}
