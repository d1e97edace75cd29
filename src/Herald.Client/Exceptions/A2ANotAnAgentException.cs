using System.Net;
using Herald.Protocol;

namespace Herald.Client;

/// <summary>
/// The URL does not lead to an A2A agent: no agent card at <c>/.well-known/agent-card.json</c>
/// (see <see cref="StatusCode"/>), a card that is not JSON or not an agent card, or a card without any
/// interface.
/// </summary>
public sealed class A2ANotAnAgentException : A2AException
{
    public A2ANotAnAgentException(Uri cardUri, string message, HttpStatusCode? statusCode = null, Exception? innerException = null)
        : base(A2AErrorCodes.InvalidAgentResponse, message, innerException!)
    {
        CardUri = cardUri;
        StatusCode = statusCode;
    }

    public A2ANotAnAgentException()
        : this("The URL does not lead to an A2A agent.")
    {
    }

    public A2ANotAnAgentException(string message)
        : base(A2AErrorCodes.InvalidAgentResponse, message)
    {
    }

    public A2ANotAnAgentException(string message, Exception innerException)
        : base(A2AErrorCodes.InvalidAgentResponse, message, innerException)
    {
    }

    /// <summary>Where the card was looked for.</summary>
    public Uri? CardUri { get; }

    /// <summary>The HTTP status of the card request, when it was not a success.</summary>
    public HttpStatusCode? StatusCode { get; }
}
