using Herald.Protocol;

namespace Herald.Client;

/// <summary>
/// An SSE event or a JSON response body exceeded the configured limit
/// (<see cref="A2AClientOptions.MaxEventSize"/>, <see cref="A2AClientOptions.MaxResponseSize"/>).
/// The client stops reading as soon as the limit is crossed.
/// </summary>
public sealed class A2AResponseTooLargeException : A2AException
{
    public A2AResponseTooLargeException(long limit, string what)
        : base(A2AErrorCodes.InvalidAgentResponse, $"The agent sent {what} larger than the limit of {limit} bytes.")
    {
        Limit = limit;
    }

    public A2AResponseTooLargeException()
        : this("The agent's response is too large.")
    {
    }

    public A2AResponseTooLargeException(string message)
        : base(A2AErrorCodes.InvalidAgentResponse, message)
    {
    }

    public A2AResponseTooLargeException(string message, Exception innerException)
        : base(A2AErrorCodes.InvalidAgentResponse, message, innerException)
    {
    }

    /// <summary>The limit that was exceeded, in bytes.</summary>
    public long Limit { get; }
}
