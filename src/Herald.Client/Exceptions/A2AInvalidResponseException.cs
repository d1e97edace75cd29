using Herald.Protocol;

namespace Herald.Client;

/// <summary>
/// The server's answer is not valid A2A: malformed JSON, a broken JSON-RPC envelope (wrong id, neither
/// result nor error), a result of the wrong shape, or a content type that is neither JSON nor an event
/// stream. <see cref="A2AException.Code"/> is <see cref="A2AErrorCodes.InvalidAgentResponse"/>.
/// </summary>
public sealed class A2AInvalidResponseException : A2AException
{
    public A2AInvalidResponseException()
        : this("The agent's response is invalid.")
    {
    }

    public A2AInvalidResponseException(string message)
        : base(A2AErrorCodes.InvalidAgentResponse, message)
    {
    }

    public A2AInvalidResponseException(string message, Exception innerException)
        : base(A2AErrorCodes.InvalidAgentResponse, message, innerException)
    {
    }
}
