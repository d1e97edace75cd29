using Herald.Protocol;

namespace Herald.Client;

/// <summary>
/// The server sent a JSON-RPC error as an event inside an open stream (after the stream had started).
/// <see cref="A2AException.Code"/> and the message are the server's. An error sent instead of a stream
/// is a plain <see cref="A2AException"/>.
/// </summary>
public sealed class A2AStreamErrorException : A2AException
{
    public A2AStreamErrorException(int code, string message, string? field = null)
        : base(code, message, field)
    {
    }

    public A2AStreamErrorException()
    {
    }

    public A2AStreamErrorException(string message)
        : base(message)
    {
    }

    public A2AStreamErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
