using Microsoft.AspNetCore.Http;

namespace Herald.AspNetCore.Http;

/// <summary>
/// Sends a response body that was serialized whole beforehand (so it is either complete or replaced by a
/// proper error, never cut in the middle), in slices with back-pressure, under the write deadline
/// (<see cref="HttpWriteDeadline"/>): a client that stops reading is cut off instead of holding the response in memory.
/// </summary>
internal static class ResponseBodyWriter
{
    private const int SliceBytes = 16 * 1024;

    /// <summary>
    /// Sends a result: its size is reserved in the server's response budget first (<see cref="ResponseLimit.Budget"/>)
    /// and returned once the write completed or failed.
    /// </summary>
    /// <exception cref="HttpRefusalException">503: no room in the budget within its wait (<see cref="ResponseLimit.Busy"/>).</exception>
    public static async Task SendResultAsync(HttpContext context, int status, string contentType, ReadOnlyMemory<byte> body)
    {
        if (ResponseLimit.Budget(context) is not { } budget)
        {
            await SendAsync(context, status, contentType, body).ConfigureAwait(false);
            return;
        }

        bool reserved;
        try
        {
            reserved = await budget.TryReserveAsync(body.Length, context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            ResponseLimit.EndBuild(context);
        }

        if (!reserved)
        {
            throw ResponseLimit.Busy();
        }

        try
        {
            await SendAsync(context, status, contentType, body).ConfigureAwait(false);
        }
        finally
        {
            budget.Release(body.Length);
        }
    }

    /// <summary>Sends a body outside the budget (errors: small, and they must get through when the server is busy).</summary>
    public static Task SendAsync(HttpContext context, int status, string contentType, ReadOnlyMemory<byte> body) =>
        SendAsync(context, status, contentType, default, body, default);

    /// <summary>
    /// Sends a body made of three parts (an envelope's prefix, bytes shared with other responses, its suffix) without
    /// copying them into one, under the write deadline. The budget is the caller's business.
    /// </summary>
    public static async Task SendAsync(HttpContext context, int status, string contentType, ReadOnlyMemory<byte> prefix, ReadOnlyMemory<byte> body, ReadOnlyMemory<byte> suffix)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength = prefix.Length + body.Length + suffix.Length;
        var writer = response.BodyWriter;
        var aborted = context.RequestAborted;
        using var deadline = HttpWriteDeadline.Start(context);
        if (!await WriteAsync(prefix).ConfigureAwait(false) || !await WriteAsync(body).ConfigureAwait(false))
        {
            return;
        }

        await WriteAsync(suffix).ConfigureAwait(false);

        async ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> part)
        {
            while (!part.IsEmpty)
            {
                var slice = part.Length > SliceBytes ? part[..SliceBytes] : part;
                var flush = await deadline.WhenWritten(writer.WriteAsync(slice, aborted)).ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    return false;
                }

                part = part[slice.Length..];
            }

            return true;
        }
    }
}
