using System.Text.Json;
using Herald.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.AspNetCore.Http;

/// <summary>
/// Answers that concurrent requests share (<see cref="SharedAnswers"/>): GetTask of one task, asked for the same way,
/// is built and encoded once for everyone who asked while the build before it ran, and its bytes are held once.
/// </summary>
internal static class SharedResults
{
    /// <summary>
    /// Joins the shared build of <paramref name="key"/> (or builds alone when Herald's services are not registered).
    /// <paramref name="encode"/> must not capture the request: it may serve other requests after this one has ended.
    /// </summary>
    public static async ValueTask<SharedAnswer> GetAsync(HttpContext context, SharedAnswerKey key, Func<CancellationToken, ValueTask<SharedBody>> encode, CancellationToken cancellationToken)
    {
        if ((context.RequestServices as IServiceProvider)?.GetService<SharedAnswers>() is { } answers)
        {
            return await answers.GetAsync(key, encode, cancellationToken).ConfigureAwait(false);
        }

        return SharedAnswer.Alone((await encode(cancellationToken).ConfigureAwait(false)).Bytes);
    }

    /// <summary>
    /// One JSON value as bytes, written into growing chunks (<see cref="ChunkedBufferWriter"/>, not pooled: a shared answer
    /// is typically large, and pooling its buffers would keep megabytes after the answer has gone), then copied once into
    /// an array of its own size.
    /// </summary>
    public static byte[] Encode(Action<Utf8JsonWriter> write, JsonWriterOptions options = default)
    {
        var buffer = new ChunkedBufferWriter();
        using (var json = new Utf8JsonWriter(buffer, options))
        {
            write(json);
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// The writer options <see cref="JsonSerializer.SerializeToUtf8Bytes{TValue}(TValue, System.Text.Json.Serialization.Metadata.JsonTypeInfo{TValue})"/>
    /// would use with <paramref name="serializer"/>: the same bytes, written by <see cref="Encode"/>.
    /// </summary>
    public static JsonWriterOptions WriterOptions(JsonSerializerOptions serializer) => new()
    {
        Encoder = serializer.Encoder,
        Indented = serializer.WriteIndented,
        MaxDepth = serializer.MaxDepth,
        SkipValidation = true,
    };
}
