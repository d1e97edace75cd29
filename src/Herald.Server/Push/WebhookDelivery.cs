using Herald.Protocol;

namespace Herald.Server.Push;

/// <summary>
/// One POST of one event to one webhook: the event's v1.0 <c>StreamResponse</c> JSON (the bytes Herald stores per event)
/// and what of its push notification config goes on the wire. <see cref="ToString"/> leaves the token and credentials out.
/// </summary>
/// <param name="Url">The config's webhook URL.</param>
/// <param name="ConfigId">The config's id (sent in <see cref="PushNotificationHeaders.ConfigId"/>).</param>
/// <param name="TaskId">The task the event belongs to.</param>
/// <param name="Sequence">The event's sequence in the task's log (sent in <see cref="PushNotificationHeaders.EventSequence"/>).</param>
/// <param name="Body">The v1.0 <c>StreamResponse</c> JSON, sent as is.</param>
/// <param name="Token">The config's <c>token</c>, sent in the notification-token headers; null for none.</param>
/// <param name="Authentication">The config's <c>authentication</c>, sent as <c>Authorization: {scheme} {credentials}</c>; null for none.</param>
internal sealed record WebhookDelivery(
    string Url,
    string ConfigId,
    string TaskId,
    long Sequence,
    ReadOnlyMemory<byte> Body,
    string? Token = null,
    AuthenticationInfo? Authentication = null)
{
    /// <summary>A delivery of the event <paramref name="sequence"/> (its bytes <paramref name="body"/>) under <paramref name="config"/>.</summary>
    public static WebhookDelivery For(TaskPushNotificationConfig config, string taskId, long sequence, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new(config.Url ?? "", config.Id ?? "", taskId, sequence, body, config.Token, config.Authentication);
    }

    public override string ToString() =>
        $"WebhookDelivery {{ ConfigId = {ConfigId}, TaskId = {TaskId}, Sequence = {Sequence}, Body = {Body.Length} bytes, " +
        $"Token = {(Token is null ? "none" : "***")}, Authentication = {(Authentication is null ? "none" : Authentication.Scheme + " ***")} }}";
}
