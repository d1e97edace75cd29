using Microsoft.AspNetCore.Http;

namespace Herald.AspNetCore.Http;

/// <summary>
/// Sends a response body that was serialized whole beforehand (so it is either complete or replaced by a
/// proper error, never cut in the middle), in slices with back-pressure: a client that does not read is cut
/// off by the server's minimum data rate instead of holding the response in memory.
/// </summary>
internal static class ResponseBodyWriter
{
    private const int SliceBytes = 64 * 1024;

    public static async Task SendAsync(HttpContext context, int status, string contentType, ReadOnlyMemory<byte> body)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        var writer = response.BodyWriter;
        var aborted = context.RequestAborted;
        while (!body.IsEmpty)
        {
            var slice = body.Length > SliceBytes ? body[..SliceBytes] : body;
            var flush = await writer.WriteAsync(slice, aborted).ConfigureAwait(false);
            if (flush.IsCompleted || flush.IsCanceled)
            {
                return;
            }

            body = body[slice.Length..];
        }
    }
}
