namespace Herald.Protocol;

/// <summary>The URIs of the A2A extensions Herald defines (spec 4.6), one constant each for the card, every binding and the client.</summary>
public static class HeraldExtensionUris
{
    /// <summary>
    /// Resumable streams (docs/resumable-streams.md): stream events carry their task log sequence as an id, and a
    /// subscription resumes after one. Herald's card declares it; on gRPC a call activates it by naming it in
    /// <c>a2a-extensions</c>, and each stream item carries its id in its metadata under this URI.
    /// </summary>
    public const string ResumableStreams = "urn:herald:a2a:extension:resumable-streams:v1";
}
