using Herald.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Herald.AspNetCore.Http;

/// <summary>
/// A2A request bodies are JSON and must say so. A web page can make a browser POST <c>text/plain</c> (or a form)
/// to any address without asking first; requiring a JSON media type means such a request is refused (415)
/// before it can start a task, and a browser must pass a CORS preflight, which the server only grants to the
/// origins its operator allows. The same rule for every HTTP binding (spec 11.1 names both media types).
/// </summary>
internal static class RequestContentType
{
    public const string Accepted = "application/a2a+json or application/json";

    /// <summary>
    /// Refuses a request whose body is not declared as JSON in UTF-8. With <paramref name="bodyRequired"/> false, a
    /// request that carries no body needs no content type (REST's POST <c>:cancel</c> and <c>:subscribe</c> from curl).
    /// </summary>
    /// <exception cref="HttpRefusalException">415.</exception>
    public static void Check(HttpRequest request, bool bodyRequired)
    {
        var contentType = request.ContentType;
        if (string.IsNullOrEmpty(contentType))
        {
            if (!bodyRequired && !HasBody(request))
            {
                return;
            }

            throw Unsupported($"The request has no Content-Type; send Content-Type: {Accepted}.");
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType.Value is not { } media
            || !(media.Equals("application/a2a+json", StringComparison.OrdinalIgnoreCase) || media.Equals("application/json", StringComparison.OrdinalIgnoreCase)))
        {
            throw Unsupported($"Content-Type '{Quote(contentType)}' is not supported; send {Accepted}.");
        }

        // JSON is UTF-8 (RFC 8259 8.1); a body declared in another charset would be read as something it is not.
        if (parsed.Charset.HasValue && !(parsed.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || parsed.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)))
        {
            throw Unsupported($"charset '{Quote(parsed.Charset.Value!)}' is not supported; send {Accepted} in UTF-8.");
        }
    }

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Any(v => v?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true));

    private static HttpRefusalException Unsupported(string message) =>
        new(StatusCodes.Status415UnsupportedMediaType, A2AErrorCodes.InvalidRequest, message);

    private static string Quote(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
