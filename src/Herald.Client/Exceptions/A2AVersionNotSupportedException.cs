using Herald.Protocol;

namespace Herald.Client;

/// <summary>
/// No interface of the agent card can be used: the pinned protocol version is not offered, or the card
/// offers only versions or bindings this client does not implement. Never a silent fallback.
/// <see cref="A2AException.Code"/> is <see cref="A2AErrorCodes.VersionNotSupported"/>.
/// </summary>
public sealed class A2AVersionNotSupportedException : A2AException
{
    public A2AVersionNotSupportedException(string message, string? requestedVersion, IReadOnlyList<string> offered)
        : base(A2AErrorCodes.VersionNotSupported, message)
    {
        RequestedVersion = requestedVersion;
        Offered = offered;
    }

    public A2AVersionNotSupportedException()
        : this("No interface of the agent card can be used.")
    {
    }

    public A2AVersionNotSupportedException(string message)
        : base(A2AErrorCodes.VersionNotSupported, message)
    {
        Offered = [];
    }

    public A2AVersionNotSupportedException(string message, Exception innerException)
        : base(A2AErrorCodes.VersionNotSupported, message, innerException)
    {
        Offered = [];
    }

    /// <summary>The pinned version, or null when none was pinned.</summary>
    public string? RequestedVersion { get; }

    /// <summary>What the card offers, as <c>binding version url</c> strings.</summary>
    public IReadOnlyList<string> Offered { get; } = [];
}
