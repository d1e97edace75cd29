using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Herald.AspNetCore.Requests;

/// <summary>
/// A2A request bodies are JSON and must say so. A web page can make a browser POST <c>text/plain</c> (or a form)
/// to any address without asking first; requiring a JSON media type means such a request is refused (415)
/// before it can start a task, and a browser must pass a CORS preflight, which the server only grants to the
/// origins its operator allows.
/// </summary>
internal static class RequestContentType
{
    public const string Accepted = "application/json or application/a2a+json";

    public static bool IsJson(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || type.MediaType.Value is not { } media)
        {
            return false;
        }

        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.Equals("application/a2a+json", StringComparison.OrdinalIgnoreCase);
    }
}
