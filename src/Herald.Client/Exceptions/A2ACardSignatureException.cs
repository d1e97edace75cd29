using Herald.Protocol;

namespace Herald.Client;

/// <summary>Why an agent card was refused by <see cref="CardSignatureVerification"/>.</summary>
public enum CardSignatureFailure
{
    /// <summary>The card has no signature and one is required.</summary>
    Unsigned,

    /// <summary>No signature names a key (<c>kid</c>) among the trusted ones or at a same-origin <c>jku</c>.</summary>
    UnknownKey,

    /// <summary>A signature's key is known, but the signature does not verify over the card as received: tampered, or signed by another key.</summary>
    InvalidSignature,

    /// <summary>A signature or key set cannot be read (bad base64url, header, algorithm or JWK).</summary>
    Malformed,

    /// <summary>A key set could not be fetched.</summary>
    KeysUnavailable,
}

/// <summary>
/// The agent card's signature did not pass <see cref="A2AClientOptions.CardSignatureVerification"/>: see
/// <see cref="Failure"/>; the message says which signature and why. <see cref="A2AException.Code"/> is
/// <see cref="A2AErrorCodes.InvalidAgentResponse"/>.
/// </summary>
public sealed class A2ACardSignatureException : A2AException
{
    public A2ACardSignatureException(Uri cardUri, CardSignatureFailure failure, string message, Exception? innerException = null)
        : base(A2AErrorCodes.InvalidAgentResponse, message, innerException!)
    {
        CardUri = cardUri;
        Failure = failure;
    }

    public A2ACardSignatureException()
        : this("The agent card's signature did not verify.")
    {
    }

    public A2ACardSignatureException(string message)
        : base(A2AErrorCodes.InvalidAgentResponse, message)
    {
        Failure = CardSignatureFailure.InvalidSignature;
    }

    public A2ACardSignatureException(string message, Exception innerException)
        : base(A2AErrorCodes.InvalidAgentResponse, message, innerException)
    {
        Failure = CardSignatureFailure.InvalidSignature;
    }

    /// <summary>The card that was refused.</summary>
    public Uri? CardUri { get; }

    public CardSignatureFailure Failure { get; }
}
