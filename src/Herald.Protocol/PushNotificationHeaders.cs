namespace Herald.Protocol;

/// <summary>
/// The HTTP headers of a push notification as Herald sends it (spec 4.3.3: a POST whose body is a v1.0
/// <c>StreamResponse</c>), for webhook receivers. Header names are case-insensitive.
/// </summary>
public static class PushNotificationHeaders
{
    /// <summary>The media type of the body: <c>application/a2a+json</c>.</summary>
    public const string ContentType = "application/a2a+json";

    /// <summary>
    /// The config's <c>token</c> as every official A2A SDK (Python, JavaScript, Java, Go) and the v0.3 specification send it:
    /// <c>X-A2A-Notification-Token</c>.
    /// </summary>
    public const string NotificationToken = "X-A2A-Notification-Token";

    /// <summary>
    /// The config's <c>token</c> again without the <c>X-</c> prefix (<c>A2A-Notification-Token</c>), the form the A2A headers
    /// took in v1.0 (<c>A2A-Version</c>, <c>A2A-Extensions</c>; RFC 6648), for receivers that read that spelling.
    /// </summary>
    public const string NotificationTokenUnprefixed = "A2A-Notification-Token";

    /// <summary>
    /// The event's sequence in its task's log (1, 2, 3, ...; the SSE <c>id:</c> of the same event): a retried delivery
    /// carries the same value, so a receiver drops duplicates by (task id, sequence).
    /// </summary>
    public const string EventSequence = "Herald-Event-Sequence";

    /// <summary>The id of the task the event belongs to.</summary>
    public const string TaskId = "Herald-Task-Id";

    /// <summary>The id of the push notification config the delivery is made for.</summary>
    public const string ConfigId = "Herald-Push-Config-Id";

    /// <summary>
    /// A JWT (compact JWS) by the server's push signing key over the delivery: see <see cref="Signing.PushNotificationSignature"/>.
    /// Sent only when the server has a push signing key.
    /// </summary>
    public const string Signature = "Herald-Push-Signature";
}
