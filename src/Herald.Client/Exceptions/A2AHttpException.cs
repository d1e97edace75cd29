using System.Net;
using Herald.Protocol;

namespace Herald.Client;

/// <summary>
/// The server answered with an HTTP error status and a body that is not a JSON-RPC error (a JSON-RPC
/// error body becomes an <see cref="A2AException"/> with the server's code, whatever the status).
/// The message carries the start of the body.
/// </summary>
public sealed class A2AHttpException : A2AException
{
    public A2AHttpException(HttpStatusCode statusCode, string message)
        : base(A2AErrorCodes.InternalError, message)
    {
        StatusCode = statusCode;
    }

    public A2AHttpException()
        : this("The agent answered with an HTTP error.")
    {
    }

    public A2AHttpException(string message)
        : base(A2AErrorCodes.InternalError, message)
    {
    }

    public A2AHttpException(string message, Exception innerException)
        : base(A2AErrorCodes.InternalError, message, innerException)
    {
    }

    /// <summary>The HTTP status the server answered with.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>5xx, 408 and 429 may succeed when tried again.</summary>
    internal bool IsTransient => (int)StatusCode >= 500 || StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
}
