namespace Herald.Server.Push;

/// <summary>What became of one webhook delivery.</summary>
internal enum WebhookOutcome
{
    /// <summary>The webhook answered 2xx: the event is delivered.</summary>
    Delivered,

    /// <summary>Worth another try later: 5xx, 408, 429 (see <see cref="WebhookResult.RetryAfter"/>), a timeout, a connection that failed or broke.</summary>
    RetryLater,

    /// <summary>The webhook answered another 4xx, a 3xx (redirects are never followed) or 1xx: it rejects the delivery.</summary>
    Refused,

    /// <summary>The SSRF guard refused every address of the webhook's host when connecting.</summary>
    Blocked,
}

/// <summary>The outcome of <see cref="WebhookSender.SendAsync"/>.</summary>
/// <param name="Outcome">Delivered, retry later, refused or blocked.</param>
/// <param name="StatusCode">The webhook's HTTP status, when it answered.</param>
/// <param name="RetryAfter">The webhook's <c>Retry-After</c> on 429 or 503 (at least zero), when it sent one.</param>
/// <param name="Reason">What happened, for logs: never the token, the credentials or the URL's path and query.</param>
internal sealed record WebhookResult(WebhookOutcome Outcome, int? StatusCode, TimeSpan? RetryAfter, string Reason)
{
    public bool IsDelivered => Outcome == WebhookOutcome.Delivered;
}
