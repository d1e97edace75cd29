using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Herald.AspNetCore.Http;

/// <summary>
/// Finds text a request cannot carry: a JSON string (value or property name) whose <c>\u</c> escapes do not
/// form valid UTF-16, that is a lone surrogate such as <c>"\ud800"</c>. Such a string cannot be turned into
/// text, nor written back as JSON, so it is refused at the door instead of failing later or being stored.
/// (Raw bytes are checked for UTF-8 validity before this; only escaped strings can still be invalid.)
/// </summary>
internal static class JsonTextValidator
{
    /// <summary>The path of the first invalid string ("params.message.parts[0].text"), or null when all text is valid.</summary>
    public static string? FindInvalidString(ReadOnlySpan<byte> json, int maxDepth)
    {
        // Only escapes can produce invalid UTF-16 from valid UTF-8: most bodies have none and cost one vectorized scan.
        if (json.IndexOf("\\u"u8) < 0)
        {
            return null;
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth });
        var frames = new List<Frame>();
        var scratch = ArrayPool<char>.Shared.Rent(256);
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var name = new Range((int)reader.TokenStartIndex + 1, (int)reader.TokenStartIndex + 1 + reader.ValueSpan.Length);
                        frames[^1] = frames[^1] with { Property = name };
                        if (reader.ValueIsEscaped && !Decodes(ref reader, ref scratch))
                        {
                            return Path(json, frames);
                        }

                        break;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        NextElement(frames);
                        frames.Add(new Frame(reader.TokenType == JsonTokenType.StartArray, -1, default));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    case JsonTokenType.String:
                        NextElement(frames);
                        if (reader.ValueIsEscaped && !Decodes(ref reader, ref scratch))
                        {
                            return Path(json, frames);
                        }

                        break;
                    default:
                        NextElement(frames);
                        break;
                }
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(scratch);
        }

        return null;
    }

    private static bool Decodes(ref Utf8JsonReader reader, ref char[] scratch)
    {
        // An unescaped string is at most as long in chars as its escaped UTF-8 bytes.
        if (scratch.Length < reader.ValueSpan.Length)
        {
            ArrayPool<char>.Shared.Return(scratch);
            scratch = ArrayPool<char>.Shared.Rent(reader.ValueSpan.Length);
        }

        try
        {
            reader.CopyString(scratch);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void NextElement(List<Frame> frames)
    {
        if (frames.Count > 0 && frames[^1].IsArray)
        {
            frames[^1] = frames[^1] with { Index = frames[^1].Index + 1 };
        }
    }

    private static string Path(ReadOnlySpan<byte> json, List<Frame> frames)
    {
        var path = new StringBuilder();
        for (var i = 0; i < frames.Count; i++)
        {
            var frame = frames[i];
            if (frame.IsArray)
            {
                path.Append('[').Append(frame.Index).Append(']');
            }
            else if (frame.Property is { } name)
            {
                if (path.Length > 0)
                {
                    path.Append('.');
                }

                // Raw (still escaped) bytes: readable, and valid to print even when the name itself is the problem.
                path.Append(Encoding.UTF8.GetString(json[name]));
            }
        }

        return path.ToString();
    }

    private readonly record struct Frame(bool IsArray, int Index, Range? Property);
}
