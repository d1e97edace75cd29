using Herald.Protocol;
using Microsoft.AspNetCore.Http;

namespace Herald.AspNetCore.Http;

/// <summary>
/// A request refused at the HTTP level, with a status of HTTP's own instead of the A2A error table's: 413 (body
/// too large), 415 (not JSON), 408 (body too slow), 400 (broken framing). Every HTTP binding answers it in its own
/// error form with that status: JSON-RPC with an error whose id is null, REST with a <c>google.rpc.Status</c> body.
/// </summary>
internal sealed class HttpRefusalException : A2AException
{
    public HttpRefusalException(int httpStatus, int code, string message)
        : base(code, message)
    {
        HttpStatus = httpStatus;
    }

    public HttpRefusalException()
    {
    }

    public HttpRefusalException(string message)
        : base(message)
    {
    }

    public HttpRefusalException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int HttpStatus { get; } = StatusCodes.Status400BadRequest;

    /// <summary>When set, the answer carries <c>Retry-After</c> (a busy server).</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>413 for a body over <paramref name="limit"/> bytes.</summary>
    public static HttpRefusalException TooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, A2AErrorCodes.InvalidRequest, $"The request body exceeds the limit of {limit} bytes.");
}
