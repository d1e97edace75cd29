namespace Herald.Server.Push;

/// <summary>Checks a webhook URL when a push configuration is registered (the SSRF guard plugs in here).</summary>
internal interface IWebhookUrlValidator
{
    /// <summary>Completes when <paramref name="url"/> may be registered; throws an invalid-params <see cref="Protocol.A2AException"/> naming <c>url</c> otherwise.</summary>
    Task ValidateAsync(string? url, CancellationToken cancellationToken);
}
